"""Tax side down is one failed stage, not a failed day: ingest, bills and coverage still run, the CLI
prints its summary with ``tax_push.error`` and exits 3, and the next run catches up."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from yibao import storage, synth
from yibao.cli import main

DOWN = "postgresql+psycopg2://tax:s3cret@127.0.0.1:1/qianzhiku"


@pytest.fixture(scope="module")
def small_county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    return out, synth.generate("wenxi-2024", 1500, 5, out)


def _cli(monkeypatch, capsys, settings, inbox, as_of, exchange_url) -> tuple[int, dict]:
    monkeypatch.setenv("YIBAO_HOME", str(settings.home))
    monkeypatch.setenv("YIBAO_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("YIBAO_TAX_EXCHANGE_URL", exchange_url)
    code = main(["pipeline", "run", "--county", "wenxi-2024", "--inbox", str(inbox), "--as-of", as_of.isoformat()])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, json.loads(out)


def test_an_exchange_outage_fails_only_the_push_and_the_next_run_catches_up(settings, small_county, monkeypatch,
                                                                           capsys):
    inbox, truth = small_county
    code, down = _cli(monkeypatch, capsys, settings, inbox, truth.as_of, DOWN)
    assert code == 3
    assert down["tax_push"]["error"].startswith("税务前置库无法连接: 127.0.0.1/1/qianzhiku")
    assert "s3cret" not in json.dumps(down, ensure_ascii=False)
    assert all(r["status"] == "ok" for r in down["feeds"].values())
    assert down["bills"]["new"] > 0 and down["coverage"]["should_insure"] > 0

    code, up = _cli(monkeypatch, capsys, settings, inbox, truth.as_of, settings.tax_exchange_url)
    assert code == 0 and "error" not in up["tax_push"]
    assert up["bills"]["unchanged"] == down["bills"]["new"]
    assert up["tax_push"]["pushed"] == down["bills"]["new"]
    with storage.engine(settings.warehouse_url).connect() as conn:
        unsent = conn.execute(sa.select(sa.func.count()).select_from(storage.bill_versions)
                              .where(storage.bill_versions.c.pushed_at.is_(None))).scalar()
    assert unsent == 0
