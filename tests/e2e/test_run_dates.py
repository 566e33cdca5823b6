"""Run dates are checked: a date outside the policy year's campaign is refused before anything is written
(warehouse, staging, outbox, landing, tax exchange), in the CLI and in the DAGs' date; outside the
collection window the run goes on and says so; an all-rejected drop never replaces a good staged table.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import shutil

import pytest
import sqlalchemy as sa

from yibao import dag_support, pipeline, run_date, storage, synth
from yibao.cli import main as cli_main
from yibao.errors import UserError
from yibao.policy import load
from yibao.readers import FeedError
from yibao.sources import load_sources

GOOD = dt.date(2023, 12, 25)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    synth.generate("wenxi-2024", 1500, 29, out, as_of=GOOD)
    return out


@pytest.fixture
def ran(settings, county, tmp_path, monkeypatch):
    """A county after one good day, with the CLI's environment pointing at the same home and databases."""
    inbox = tmp_path / "inbox"
    shutil.copytree(county, inbox, ignore=shutil.ignore_patterns("_truth"))
    settings = dataclasses.replace(settings, inbox=inbox)
    summary = pipeline.run(settings, as_of=GOOD)
    assert summary["bills"]["new"] > 0 and summary["tax_push"]["pushed"] > 0
    monkeypatch.setenv("YIBAO_HOME", str(settings.home))
    monkeypatch.setenv("YIBAO_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("YIBAO_TAX_EXCHANGE_URL", settings.tax_exchange_url)
    return settings


def _everything(settings) -> dict:
    """Every file under the home and every row of the warehouse and exchange tables."""
    files = {str(p.relative_to(settings.home)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(settings.home.rglob("*")) if p.is_file() and not p.name.endswith((".db", ".lock"))}
    rows = {}
    for url, metadata in ((settings.warehouse_url, storage.metadata), (settings.tax_exchange_url,
                                                                       storage.exchange_metadata)):
        engine = storage.engine(url)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                rows[table.name] = sorted(map(repr, conn.execute(sa.select(table)).all()))
            rows["run_locks"] = conn.execute(sa.text("SELECT count(*) FROM run_locks")).scalar() if sa.inspect(
                conn).has_table("run_locks") else None
        engine.dispose()
    return {"files": files, "rows": rows}


@pytest.mark.parametrize("bad", ["9999-12-31", "2023-01-01", "2025-01-01", "2023-07-31"])
def test_a_date_outside_the_campaign_is_refused_before_anything_is_written(ran, bad, capsys):
    before = _everything(ran)
    code = cli_main(["pipeline", "run", "--county", "wenxi-2024", "--inbox", str(ran.inbox), "--as-of", bad])
    err = capsys.readouterr().err
    assert code == 2
    assert f"统计日期 {bad} 超出 闻喜县2024 年度征缴的合理范围（2023-08-01 至 2024-12-31" in err
    assert "未写入任何数据" in err and "Traceback" not in err
    assert _everything(ran) == before  # staged tables, bills, pushes to tax, outbox: all as they were


def test_the_dags_date_is_checked_the_same_way(monkeypatch, caplog):
    county, params = "wenxi-2024", {}
    with pytest.raises(UserError, match="超出"):
        dag_support.run_as_of(county, {**params, "as_of": "9999-12-31"}, None)
    # No Param: today's date in Beijing, unless YIBAO_AS_OF pins one (the demo's past campaign).
    late = dt.datetime(2026, 11, 22, 1, tzinfo=dt.UTC)
    with pytest.raises(UserError, match="2026-11-22"):
        dag_support.run_as_of(county, params, late)
    monkeypatch.setenv("YIBAO_AS_OF", "2023-12-25")
    assert dag_support.run_as_of(county, params, late) == GOOD
    with caplog.at_level(logging.WARNING):
        assert dag_support.run_as_of(county, {**params, "as_of": "2024-02-10"}, late) == dt.date(2024, 2, 10)
    assert "不在集中缴费期（2023-09-01 至 2023-12-25）内：按补缴期处理" in caplog.text


def test_the_campaign_range_follows_each_rules_file():
    assert run_date.campaign_range(load("tengzhou-2024")) == (dt.date(2023, 9, 1), dt.date(2024, 12, 31))
    assert run_date.check(load("tengzhou-2024"), dt.date(2023, 9, 15)).startswith("统计日期 2023-09-15 不在集中缴费期")
    assert "按准备期处理" in run_date.check(load("tengzhou-2024"), dt.date(2023, 9, 15))
    assert run_date.check(load("juye-2024"), dt.date(2023, 12, 31)) is None


def test_outside_the_collection_window_the_run_goes_on_and_says_so(ran, caplog):
    with caplog.at_level(logging.WARNING):
        summary = pipeline.run(ran, as_of=dt.date(2024, 2, 10))
    assert summary["as_of_warning"] == "统计日期 2024-02-10 不在集中缴费期（2023-09-01 至 2023-12-25）内：按补缴期处理，请核对日期"
    assert summary["as_of_warning"] in caplog.text
    assert pipeline.run(ran, as_of=GOOD)["as_of_warning"] is None


def test_a_drop_whose_every_row_is_rejected_never_replaces_a_good_staged_table(ran):
    """Called below the date check (as a buggy caller could): the last good table stays."""
    counts = {feed: storage.staged_rows(ran.staging / "feeds" / f"{feed}.arrow") for feed in load_sources()
              if (ran.staging / "feeds" / f"{feed}.arrow").exists()}
    refused = []
    for feed in counts:
        try:
            pipeline.ingest_feed(ran, feed, as_of=dt.date(1900, 1, 1), run_id="bad-date")  # nobody born yet
        except FeedError as exc:
            refused.append(feed)
            assert "全部未通过校验" in str(exc) and "保留上次入库的数据" in str(exc)
    assert refused  # the date did reject whole drops …
    after = {feed: storage.staged_rows(ran.staging / "feeds" / f"{feed}.arrow") for feed in counts}
    assert after == counts  # … and none of them replaced what was staged
