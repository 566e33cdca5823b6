"""Whole-chain benchmark: generate a county, then time every stage's package function with peak memory.

    .venv/bin/python bench/bench_pipeline.py --people 1000000 [--county wenxi-2024] [--seed 7]

Writes bench/results/pipeline.json. Targets (issue 2): whole chain for 1M people ≤ 20 s on this 2-core
machine with peak memory ≤ 3 GB. Library import time (pandas, Great Expectations) is reported apart:
it is paid once per worker process, not per run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

RESULTS = Path(__file__).resolve().parent / "results" / "pipeline.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--county", default="wenxi-2024")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import pandas  # noqa: F401

    from yibao import pipeline, quality, synth
    from yibao.settings import Settings
    from yibao.sources import load_sources

    quality._batch_definition()  # GX import and context
    import_seconds = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="yibao-bench-") as tmp:
        home = Path(tmp)
        settings = dataclasses.replace(
            Settings.from_env(args.county), home=home, inbox=home / "inbox" / args.county,
            warehouse_url=f"sqlite:///{home / 'warehouse.db'}", tax_exchange_url=f"sqlite:///{home / 'exchange.db'}",
        )
        with peak_rss() as gen:
            summary = synth.generate(args.county, args.people, args.seed, settings.inbox)
        as_of = summary.as_of
        pipeline.init(settings)
        stages: dict[str, dict] = {}

        def timed(name, fn):
            with peak_rss() as m:
                result = fn()
            stages[name] = {"seconds": round(m["seconds"], 3), "peak_rss_mb": round(m["peak"] / 2**20, 1)}
            return result

        run_id = "bench"
        with peak_rss() as chain:
            for feed in load_sources():
                timed(f"ingest:{feed}", lambda f=feed: pipeline.ingest_feed(settings, f, as_of=as_of, run_id=run_id))
            timed("identities", lambda: pipeline.resolve_identities(settings, as_of=as_of, run_id=run_id))
            timed("decisions", lambda: pipeline.decide_subsidies(settings, as_of=as_of, run_id=run_id))
            bills = timed("bills", lambda: pipeline.make_bills(settings, run_id=run_id))
            timed("tax_push", lambda: pipeline.push_to_tax(settings))
            coverage = timed("coverage", lambda: pipeline.compute_coverage(settings, as_of=as_of, run_id=run_id))
            timed("outputs", lambda: pipeline.write_outputs(settings, as_of=as_of, run_id=run_id))
        with peak_rss() as rerun:
            for feed in load_sources():
                pipeline.ingest_feed(settings, feed, as_of=as_of, run_id="bench2")
            pipeline.resolve_identities(settings, as_of=as_of, run_id="bench2")
            pipeline.decide_subsidies(settings, as_of=as_of, run_id="bench2")
            rerun_bills = pipeline.make_bills(settings, run_id="bench2")
            rerun_push = pipeline.push_to_tax(settings)

    ingest_total = sum(v["seconds"] for k, v in stages.items() if k.startswith("ingest:"))
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "county": args.county,
        "people": args.people,
        "import_seconds": round(import_seconds, 2),
        "synth": {"seconds": round(gen["seconds"], 2), "peak_rss_mb": round(gen["peak"] / 2**20, 1)},
        "stages": stages,
        "ingest_seconds": round(ingest_total, 2),
        "chain": {"seconds": round(chain["seconds"], 2), "peak_rss_mb": round(chain["peak"] / 2**20, 1),
                  "target_seconds": 20, "target_peak_mb": 3072},
        "rerun_same_inputs": {"seconds": round(rerun["seconds"], 2), "bills": rerun_bills, "tax_push": rerun_push},
        "bills": bills,
        "coverage": coverage,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{'stage':<34}{'seconds':>10}{'peak MB':>10}")
    for name, v in stages.items():
        print(f"{name:<34}{v['seconds']:>10.3f}{v['peak_rss_mb']:>10.1f}")
    print(f"{'whole chain':<34}{chain['seconds']:>10.2f}{chain['peak'] / 2**20:>10.1f}   (target ≤ 20 s, ≤ 3072 MB)")
    print(f"{'synth ' + str(args.people):<34}{gen['seconds']:>10.2f}{gen['peak'] / 2**20:>10.1f}")
    print(f"{'imports (once per process)':<34}{import_seconds:>10.2f}")
    print(f"rerun with same inputs: {rerun['seconds']:.2f} s, bills {rerun_bills}, push {rerun_push}")


if __name__ == "__main__":
    main()
