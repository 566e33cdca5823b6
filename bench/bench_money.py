"""Money-path benchmark: recording the bill diff and pushing bills, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_money.py [--bills 80000] [--push 80000] [--changed 0.05]

Targets (issue 8): pushing 80,000 bills to PostgreSQL ≤ 3 s; recording the bill diff for 1,000,000 people
≤ 2 s: read what the warehouse holds, classify, write the changed versions. Bills exist only for assisted
people — about 80,000 in a county of 1,000,000 (the policy benchmark's shape) — so ``--bills 80000`` is
the default; ``--bills 1000000`` is the harsher reading (one bill per person). ``--changed`` of the
bills change between the two days. Set-based statements only (a staged temporary table filled by COPY /
one JSON parameter). Writes bench/results/money.json.
PostgreSQL is the server at YIBAO_TEST_PG_ADMIN (default 127.0.0.1:5432, user postgres); a throw-away
database is created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

from yibao import bills, storage, tax_exchange

RESULTS = Path(__file__).resolve().parent / "results" / "money.json"
PG_ADMIN = os.environ.get("YIBAO_TEST_PG_ADMIN", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
COUNTY, REGION, YEAR = "wenxi-2024", "140823", 2024
FUNDS = {"medical_assistance": "医疗救助资金", "city_budget": "市级财政"}
TARGETS = {"diff_seconds": 2.0, "push_seconds_postgres": 3.0}


def current_bills(people: int, seed: int) -> pd.DataFrame:
    """A bill frame shaped like ``bills.build_bills`` output, one bill per person."""
    rng = np.random.default_rng(seed)
    serial = np.arange(people)
    ids = pd.Series([f"140823{19400101 + (i % 600000):08d}{i % 1000:03d}X" for i in serial.tolist()])
    subsidy = rng.choice([38000, 34200, 30400, 28000, 19000], size=people)
    frame = pd.DataFrame({
        "bill_no": bills.bill_numbers(REGION, YEAR, pd.Series([f"p{i}" for i in serial.tolist()])),
        "person_key": serial.astype("int64"),
        "id_number": ids,
        "name": "张三",
        "town": rng.choice(["桐城镇", "东镇镇", "河底镇"], size=people),
        "category": "低保对象",
        "clause": "dibao",
        "subsidy_fen": subsidy.astype("int64"),
        "personal_fen": (38000 - subsidy).astype("int64"),
        "funds": ['{"medical_assistance":' + str(s) + "}" for s in subsidy.tolist()],
        "basis": "闻政办发〔2023〕29号 二（六）",
    })
    frame["content_hash"] = frame["bill_no"].str.slice(-16) + frame["subsidy_fen"].astype("str")
    return frame


def next_day(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """Amend, cancel and add ``share`` of the bills in about equal parts."""
    rng = np.random.default_rng(seed)
    n = int(len(frame) * share / 3)
    picks = rng.choice(len(frame), size=2 * n, replace=False)
    day = frame.drop(index=picks[n:]).copy()
    amended = day.index.isin(picks[:n])
    day.loc[amended, "subsidy_fen"] = 38000
    day.loc[amended, "content_hash"] = day.loc[amended, "content_hash"] + "A"
    extra = current_bills(n, seed + 1).assign(bill_no=lambda f: "N" + f["bill_no"].str.slice(1))
    return pd.concat([day, extra], ignore_index=True)


def record(engine: sa.Engine, frame: pd.DataFrame, run_id: str) -> tuple[dict, float]:
    started = time.perf_counter()
    with engine.begin() as conn:
        delta = bills.diff_bills(frame, bills.previous_bills(conn, COUNTY, YEAR))
        counts = bills.record_changes(conn, delta, COUNTY, YEAR, run_id)
    return counts, time.perf_counter() - started


def bench_backend(name: str, warehouse: sa.Engine, exchange: sa.Engine, people: int, pushed: int,
                  share: float) -> dict:
    storage.init_db(warehouse)
    storage.init_exchange(exchange)
    first = current_bills(people, 1)
    _, first_s = record(warehouse, first, "day1")
    with peak_rss() as mem:
        counts, diff_s = record(warehouse, next_day(first, share, 2), "day2")

    # Push: a fresh county whose first `pushed` bills are all pending.
    with warehouse.begin() as conn:
        for table in (storage.bill_versions, storage.bills):
            conn.execute(sa.delete(table))
    record(warehouse, first.iloc[:pushed], "push")
    started = time.perf_counter()
    sent = tax_exchange.push(warehouse, exchange, COUNTY, REGION, YEAR, FUNDS)
    push_s = time.perf_counter() - started
    assert sent["pushed"] == pushed, sent
    return {
        "backend": name,
        "first_load_seconds": round(first_s, 3),
        "diff_seconds": round(diff_s, 3),
        "diff_counts": counts,
        "diff_peak_rss_mb": round(mem["peak"] / 2**20),
        "push_seconds": round(push_s, 3),
        "pushed": sent["pushed"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=80_000, help="bills in the county on day one")
    parser.add_argument("--push", type=int, default=80_000)
    parser.add_argument("--changed", type=float, default=0.05)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = storage.engine(f"sqlite:///{tmp}/warehouse.db")
        results.append(bench_backend("sqlite", sqlite, storage.engine(f"sqlite:///{tmp}/exchange.db"),
                                     args.bills, args.push, args.changed))
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    db = f"yibao_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    try:
        pg = storage.engine(sa.engine.make_url(PG_ADMIN).set(database=db).render_as_string(hide_password=False))
        results.append(bench_backend("postgresql", pg, pg, args.bills, args.push, args.changed))
        pg.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "bills": args.bills, "push": args.push, "changed_share": args.changed,
        "targets": TARGETS, "results": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
