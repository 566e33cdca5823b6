"""How fast this host is today, recorded beside every benchmark's figures.

The hosts these benchmarks run on are shared and vary: the same code took 8.2 s one afternoon and 16.6 s
that morning. Two fixed probes, timed the same way each time, say which kind of host a figure came from:
an empty pure-Python loop (the interpreter alone), and a SQLite bulk insert with an index and a sorted
read back (the driver, memory and caches, where this pipeline spends its time). The two need not move
together: one evening's host was 1.3× slower on the loop than that afternoon's, and 2.3–4.2× slower on
the pipeline's stages.
"""

from __future__ import annotations

import sqlite3
import statistics
import time

LOOP = 3_000_000
ROWS = 200_000


def _loop() -> None:
    for _ in range(LOOP):
        pass


def _sqlite() -> None:
    rows = [(f"TS{i:020d}", i, "张三丰", f"14082319800101{i:04d}", 38000) for i in range(ROWS)]
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE TABLE t (bill_no TEXT PRIMARY KEY, k INTEGER, name TEXT, id_number TEXT, fen INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute("SELECT * FROM t ORDER BY id_number").fetchall()


def _median_seconds(probe, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        probe()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def speed() -> dict[str, float]:
    """Median seconds of each probe: ``loop`` (a 3M-iteration ``for``) and ``sqlite`` (200k rows inserted
    into an indexed table and read back sorted)."""
    return {"loop": _median_seconds(_loop, 5), "sqlite": _median_seconds(_sqlite, 3)}
