"""Coverage benchmark: statuses, aggregates and every list, then the report, for a 1M-person county.

    .venv/bin/python bench/bench_coverage.py --people 1000000 [--county wenxi-2024] [--seed 7]

The county is generated as of 2024-02-10 (after 闻喜's window closed), so it has late payers too; its
ingest, identities and decisions are set-up, not timed. Targets (issue 7), 1,000,000 people and ~900,000
payments: statuses + aggregates + every list ≤ 5 s; the XLSX and HTML report ≤ 10 s. Also times the
hundreds of per-village 公示 workbooks alone, since writing many files must not be the slow part.
Writes bench/results/coverage.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

RESULTS = Path(__file__).resolve().parent / "results" / "coverage.json"
AS_OF = dt.date(2024, 2, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--county", default="wenxi-2024")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from yibao import pipeline, storage, synth
    from yibao.settings import Settings
    from yibao.sources import load_sources

    with tempfile.TemporaryDirectory(prefix="yibao-bench-") as tmp:
        home = Path(tmp)
        settings = dataclasses.replace(
            Settings.from_env(args.county), home=home, inbox=home / "inbox" / args.county,
            warehouse_url=f"sqlite:///{home / 'warehouse.db'}", tax_exchange_url=f"sqlite:///{home / 'exchange.db'}",
        )
        synth.generate(args.county, args.people, args.seed, settings.inbox, as_of=AS_OF)
        pipeline.init(settings)
        for feed in load_sources():
            pipeline.ingest_feed(settings, feed, as_of=AS_OF, run_id="setup")
        pipeline.resolve_identities(settings, as_of=AS_OF, run_id="setup")
        pipeline.decide_subsidies(settings, as_of=AS_OF, run_id="setup")
        payments = len(storage.read_staged(settings.staging / "feeds" / "shuiwu_jiaofei.arrow",
                                                          columns=["key"]))

        with peak_rss() as cov:
            coverage = pipeline.compute_coverage(settings, as_of=AS_OF, run_id="bench")
        with peak_rss() as out:
            outputs = pipeline.write_outputs(settings, as_of=AS_OF, run_id="bench")
        files = sum(1 for _ in Path(outputs["outbox"]).rglob("*.xlsx"))
        # A rerun of the same day replaces every file (the old folders are removed): timed apart.
        started = time.perf_counter()
        pipeline.write_outputs(settings, as_of=AS_OF, run_id="bench-rerun")
        rerun_seconds = time.perf_counter() - started

    list_seconds = sum(v for k, v in outputs["seconds"].items() if k != "report")
    lists_total = cov["seconds"] + list_seconds
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2)},
        "county": args.county, "people": args.people, "payments": payments, "as_of": AS_OF.isoformat(),
        "statuses_and_aggregates": {"seconds": round(cov["seconds"], 3), "peak_rss_mb": round(cov["peak"] / 2**20, 1)},
        "lists": {"seconds": round(list_seconds, 3), "by_list": outputs["seconds"],
                  "reminder_files": outputs["reminder_files"], "notice_files": outputs["notice_files"],
                  "xlsx_files": files},
        "statuses_aggregates_and_lists": {"seconds": round(lists_total, 3), "target_seconds": 5},
        "report_xlsx_and_html": {"seconds": outputs["seconds"]["report"], "target_seconds": 10},
        "outputs_peak_rss_mb": round(out["peak"] / 2**20, 1),
        "rerun_same_day_outputs_seconds": round(rerun_seconds, 3),
        "coverage": {k: v for k, v in coverage.items() if k != "by_status"},
        "by_status": coverage["by_status"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"statuses + aggregates           {cov['seconds']:8.2f} s   peak {cov['peak'] / 2**20:7.0f} MB")
    print(f"lists ({files} workbooks)       {list_seconds:8.2f} s   {outputs['seconds']}")
    print(f"statuses + aggregates + lists   {lists_total:8.2f} s   (target ≤ 5 s)")
    print(f"report XLSX + HTML              {outputs['seconds']['report']:8.2f} s   (target ≤ 10 s)")
    print(f"rerun of the day's outputs      {rerun_seconds:8.2f} s   load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
