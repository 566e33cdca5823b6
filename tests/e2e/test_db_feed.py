"""A department that publishes to a table on its 前置库: 残联's roster is pulled through SQLAlchemy from a
SQLite and a PostgreSQL source table, landed as a content-addressed snapshot, validated exactly like the
same rows sent as a file, and fed back in the table's own columns. A broken connection fails that feed alone,
without the URL in the message."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import uuid
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import pipeline, policy, storage, synth
from yibao.readers import FeedError, read_drop
from yibao.sources import SOURCES_DIR, load_sources, status_aliases
from yibao.staging import stage

CONFIG = """id: canlian
department: 残联
title: 残疾人名单
kind: roster
description: 残联前置库中的持证残疾人表。
format: sql
connection: canlian_qianzhi
table: {table}
current: all
due: {{every: month, day: 5, by: "17:00"}}
columns:
  town: [乡镇（街道）, 乡镇]
  village: [村（社区）, 村]
  name: [姓名]
  id_number: [身份证号码, 公民身份号码]
  category: [人员类别]
  disability_grade: [残疾等级]
  disability_type: [残疾类别]
required: [id_number, name, category]
statuses: [残疾人, 丧失劳动能力的残疾人]
"""


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 4000, 11, out)
    return out, summary


@pytest.fixture
def db_sources(tmp_path, monkeypatch):
    """Feed configs where 残联 reads table ``table`` on connection canlian_qianzhi."""
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES_DIR, folder)
    table = f"canlian_roster_{uuid.uuid4().hex[:8]}"
    (folder / "canlian.yaml").write_text(CONFIG.format(table=table), encoding="utf-8")
    monkeypatch.setenv("YIBAO_SOURCES_DIR", str(folder))
    load_sources.cache_clear()
    status_aliases.cache_clear()
    yield table
    load_sources.cache_clear()
    status_aliases.cache_clear()


def test_a_database_feed_lands_validates_and_feeds_back_like_a_file(settings, db_urls, county, db_sources,
                                                                      tmp_path, monkeypatch):
    inbox, summary = county
    mine = tmp_path / "inbox"
    shutil.copytree(inbox, mine, ignore=shutil.ignore_patterns("_truth"))
    (sent,) = (mine / "残联").glob("*.csv")
    as_file = pd.read_csv(sent, dtype=str, keep_default_na=False, encoding="gb18030")
    sent.unlink()  # 残联 now publishes to its table instead
    typo = as_file.loc[3, "身份证号码"]
    as_file.loc[3, "身份证号码"] = typo[:-1] + ("0" if typo[-1] != "0" else "1")  # a wrong check character

    # The source table lives on the same kind of database as the warehouse under test.
    source_url = f"sqlite:///{tmp_path / 'qianzhi.db'}" if db_urls[0].startswith("sqlite") else db_urls[0]
    source_db = sa.create_engine(source_url)
    as_file.to_sql(db_sources, source_db, index=False)
    monkeypatch.setenv("YIBAO_CONN_CANLIAN_QIANZHI", source_url)
    settings = dataclasses.replace(settings, inbox=mine)

    result = pipeline.run(settings, as_of=summary.as_of)
    feed = result["feeds"]["canlian"]
    assert all(r["status"] == "ok" for r in result["feeds"].values()), result["feeds"]
    assert feed["rows_read"] == len(as_file) and feed["freshness"]["state"] == "on_time"

    # Validated exactly like the same rows sent as a file.
    source = load_sources()["canlian"]
    sent_copy = tmp_path / "as_file.csv"
    as_file.to_csv(sent_copy, index=False)
    rules = policy.load("wenxi-2024")
    expected = stage(read_drop(sent_copy, source), source, as_of=summary.as_of,
                     home_region=rules.jurisdiction.region_code,
                     resolve_labels=lambda s: policy.resolve_labels(rules, s))
    assert feed["rows_staged"] == len(expected.rows) and feed["rows_rejected"] == len(expected.rejected)
    staged = storage.read_staged(settings.staging / "rejections" / "canlian.arrow")
    assert sorted(staged["reason_codes"]) == sorted(expected.rejected["reason_codes"])
    assert "BAD_CHECK" in staged.set_index("_row").loc[4, "reason_codes"]  # the 4th data row of the table

    # Landed once, under its hash; an unchanged table lands nothing new.
    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        files = pd.DataFrame(conn.execute(sa.select(storage.feed_files).where(
            storage.feed_files.c.feed == "canlian")).mappings().all())
    (landed,) = files.itertuples()
    assert landed.file == f"前置库/canlian_qianzhi/{db_sources}" and landed.role == "used"
    assert (settings.landing / "canlian" / f"{landed.sha256}.csv").exists()
    assert pipeline.ingest_feed(settings, "canlian", as_of=summary.as_of, run_id="again")["rows_read"] == len(as_file)
    assert [p.name for p in (settings.landing / "canlian").iterdir()] == [f"{landed.sha256}.csv"]

    # Fed back in the table's own columns.
    book = openpyxl.load_workbook(Path(result["outputs"]["feedback"]) / f"残联_数据反馈_{summary.as_of}.xlsx")
    header = next(book["残疾人名单"].iter_rows(values_only=True))
    assert list(header) == [*as_file.columns, "问题代码", "问题说明", "建议身份证号码", "原表行号"]


def test_a_broken_connection_fails_that_feed_without_the_url(settings, db_sources, monkeypatch, tmp_path):
    secret = f"sqlite:///{tmp_path / 'secret-password-path.db'}"
    monkeypatch.setenv("YIBAO_CONN_CANLIAN_QIANZHI", secret)
    pipeline.init(settings)
    with pytest.raises(FeedError, match="残联前置库（连接 canlian_qianzhi） 读取失败：OperationalError") as failed:
        pipeline.ingest_feed(settings, "canlian", as_of=dt.date(2023, 12, 25), run_id="broken")
    assert "secret-password" not in str(failed.value)
    monkeypatch.delenv("YIBAO_CONN_CANLIAN_QIANZHI")
    with pytest.raises(FeedError, match="YIBAO_CONN_CANLIAN_QIANZHI"):
        pipeline.ingest_feed(settings, "canlian", as_of=dt.date(2023, 12, 25), run_id="unset")
