"""One run at a time per county: two runs started together leave one set of bills, and the loser says why."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from yibao import pipeline, run_lock, storage, synth
from yibao.settings import Settings


@pytest.fixture(scope="module")
def small_county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    return out, synth.generate("wenxi-2024", 1500, 3, out)


def _race(settings, inbox, as_of, wait: float) -> tuple[list[dict], list[Exception]]:
    """Start two whole runs at the same moment; return their summaries and refusals."""
    settings = dataclasses.replace(settings, inbox=inbox, lock_wait_seconds=wait)
    start = threading.Barrier(2)
    results: list[dict] = []
    errors: list[Exception] = []

    def one(run_id: str) -> None:
        start.wait()
        try:
            results.append(pipeline.run(settings, as_of=as_of, run_id=run_id))
        except Exception as exc:  # noqa: BLE001 - the test inspects what the loser raised
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(f"race-{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _counts(settings) -> dict[str, int]:
    def count(url, table):
        with storage.engine(url).connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()

    return {
        "bills": count(settings.warehouse_url, storage.bills),
        "versions": count(settings.warehouse_url, storage.bill_versions),
        "rejections": count(settings.warehouse_url, storage.rejections),
        "pushed": count(settings.tax_exchange_url, storage.tax_bills),
    }


def test_two_runs_at_once_leave_one_set_and_the_loser_names_the_holder(settings, small_county):
    inbox, summary = small_county
    results, errors = _race(settings, inbox, summary.as_of, wait=0.5)
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    refusal = errors[0]
    assert isinstance(refusal, run_lock.RunLocked)
    winner = results[0]["run_id"]
    assert f"yibao pipeline run {winner}" in str(refusal) and "放弃" in str(refusal)
    got = _counts(settings)
    assert got["bills"] == winner_bills(results[0]) and got["versions"] == got["bills"]
    assert got["pushed"] == got["bills"] > 0

    # A run alone afterwards finds the same rejections (none duplicated) and nothing to change.
    again = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=summary.as_of, run_id="after")
    assert _counts(settings) == got
    assert again["bills"]["unchanged"] == got["bills"] and again["tax_push"]["pushed"] == 0


def winner_bills(summary: dict) -> int:
    return summary["bills"]["new"] + summary["bills"]["unchanged"] + summary["bills"]["amended"]


def test_a_second_run_that_may_wait_runs_after_the_first(settings, small_county):
    inbox, summary = small_county
    results, errors = _race(settings, inbox, summary.as_of, wait=600)
    assert errors == [] and len(results) == 2
    first, second = sorted(results, key=lambda r: r["bills"]["new"], reverse=True)
    assert second["bills"]["new"] == 0 and second["tax_push"]["pushed"] == 0
    assert _counts(settings)["pushed"] == first["bills"]["new"]


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def _on(url: str, tmp_path) -> Settings:
    return dataclasses.replace(Settings.from_env("wenxi-2024"), home=tmp_path, warehouse_url=url,
                               tax_exchange_url=url, lock_wait_seconds=0.3)


def test_sqlite_lock_of_a_crashed_holder_is_taken_over(tmp_path):
    settings = _on(f"sqlite:///{tmp_path / 'warehouse.db'}", tmp_path)
    engine = storage.engine(settings.warehouse_url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateTable(run_lock.run_locks, if_not_exists=True))
        conn.execute(sa.insert(run_lock.run_locks).values(
            county=settings.county, holder="yibao make_bills crashed", host=socket.gethostname(), pid=_dead_pid(),
            acquired_at=now, heartbeat_at=now))
    quick = settings
    with run_lock.county_lock(quick, "taker"), engine.connect() as conn:
        assert conn.execute(sa.select(run_lock.run_locks.c.holder)).scalar().startswith("taker")

    # A live holder on another host with a fresh heartbeat is respected, and named.
    with engine.begin() as conn:
        conn.execute(sa.insert(run_lock.run_locks).values(
            county=settings.county, holder="yibao ingest_feed scheduled__x", host="other-host", pid=os.getpid(),
            acquired_at=now, heartbeat_at=dt.datetime.now(dt.UTC)))
    with pytest.raises(run_lock.RunLocked, match="yibao ingest_feed scheduled__x（other-host"), \
            run_lock.county_lock(quick, "second"):
        pass
    # ... until its heartbeat goes stale.
    with engine.begin() as conn:
        conn.execute(sa.update(run_lock.run_locks).values(heartbeat_at=now - dt.timedelta(minutes=5)))
    with run_lock.county_lock(quick, "third"):
        pass


@pytest.mark.postgres
def test_postgres_lock_dies_with_its_session(postgres_url, tmp_path):
    settings = quick = _on(postgres_url, tmp_path)
    engine = storage.engine(settings.warehouse_url)
    holder = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    holder.execute(sa.text("SELECT set_config('application_name', 'yibao make_bills scheduled__y', false)"))
    key = run_lock._advisory_key(settings.county)
    holder.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
    with pytest.raises(run_lock.RunLocked, match="yibao make_bills scheduled__y"), \
            run_lock.county_lock(quick, "second"):
        pass
    pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as conn:  # the holder's process dies: the server ends its session
        conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    holder.invalidate()
    with run_lock.county_lock(quick, "taker"):
        pass
    engine.dispose()
