"""Whole-chain benchmark beside the hand-written DuckDB reference of issue 12, on the same 1M inbox.

    .venv/bin/python bench/bench_pipeline.py [--people 1000000] [--county wenxi-2024] [--seed 7]

Three measurements on one generated county (``yibao synth --county wenxi-2024 --people 1000000 --seed 7``),
each taken ``--rounds`` times (3), alternating, and reported as the median with every run beside it: the
reference's figures are medians of 3 too (issue 12), and these shared hosts drift by half within an hour.

1. **stages**: each stage's package function alone, feeds one after another on a fresh home, for the
   stage-by-stage comparison with the reference;
2. **chain**: ``pipeline.run`` as ``yibao pipeline run`` runs it, in a fresh process of its own (feeds two
   at a time, then the stages as a graph two at a time: money path beside coverage; every stage and the
   day's outbox), with that process's peak memory (imports and GX context included) and when each stage ran;
3. **rerun**: ``pipeline.run`` again on the same inputs (nothing changed), in that process.

Library imports and the Great Expectations context are reported apart: a process pays them once.
Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import host
from memory import peak_rss

RESULTS = Path(__file__).resolve().parent / "results" / "pipeline.json"
# Issue 12's reference: the same stages written by hand in DuckDB SQL (+ python-calamine), wall seconds.
REFERENCE = {
    "ingest:canlian": 0.22, "ingest:gongan_huji": 3.65, "ingest:shuiwu_jiaofei": 2.83,
    "ingest:minzheng_zongmingdan": 1.22, "ingest:xiangcun_zongmingdan": 0.89, "identities": 1.78,
    "decisions": 1.08, "bills": 0.53, "tax_push": 0.24, "coverage": 0.27,
}
REFERENCE_CHAIN = 14.1
TARGETS = {"chain_seconds": 10, "peak_mb": 1024, "rerun_seconds": 5}
IMPORTED = ("yibao", "yibao.pipeline", "yibao.money_path", "yibao.quality", "yibao.synth", "yibao.sources")


def run_chain(settings, as_of: dt.date) -> tuple[dict, dict, dict, dict]:
    """In a fresh process: imports and the GX context first (reported apart above) and the warehouse's
    schema (a daily run finds it in place), then the chain and a rerun on the same inputs, each with the
    process's peak memory while it ran."""
    from yibao import pipeline, quality

    quality._batch_definition()
    pipeline.init(settings)
    with peak_rss() as chain:
        first = pipeline.run(settings, as_of=as_of, run_id="bench")
    with peak_rss() as rerun:
        again = pipeline.run(settings, as_of=as_of, run_id="bench-rerun")
    return chain, first, rerun, again


def stages_alone(settings, as_of: dt.date, runs: dict[str, list[dict]]) -> None:
    """One round of each stage's package function alone on a fresh home, feeds one after another; each
    stage's seconds and peak memory are appended to ``runs``."""
    from yibao import money_path, pipeline
    from yibao.sources import load_sources

    pipeline.init(settings)

    def timed(name, fn) -> None:
        with peak_rss() as m:
            fn()
        runs.setdefault(name, []).append({"seconds": round(m["seconds"], 3), "peak_rss_mb": round(m["peak"] / 2**20, 1)})

    for feed in load_sources():
        timed(f"ingest:{feed}", lambda f=feed: pipeline.ingest_feed(settings, f, as_of=as_of, run_id="bench"))
    timed("identities", lambda: pipeline.resolve_identities(settings, as_of=as_of, run_id="bench"))
    timed("decisions", lambda: pipeline.decide_subsidies(settings, as_of=as_of, run_id="bench"))
    timed("bills", lambda: pipeline.make_bills(settings, run_id="bench"))
    timed("tax_push", lambda: money_path.approve_and_push(settings, run_id="bench")[1])
    timed("coverage", lambda: pipeline.compute_coverage(settings, as_of=as_of, run_id="bench"))
    timed("outputs", lambda: pipeline.write_outputs(settings, as_of=as_of, run_id="bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--county", default="wenxi-2024")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement (median reported)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    t0 = time.perf_counter()
    for module in IMPORTED:  # yibao first: it caps glibc's arenas before any thread starts (yibao.memory)
        importlib.import_module(module)
    import_seconds = time.perf_counter() - t0
    from yibao import quality, synth
    from yibao.settings import Settings

    t0 = time.perf_counter()
    quality._batch_definition()
    gx_seconds = time.perf_counter() - t0
    host_before = host.speed()

    with tempfile.TemporaryDirectory(prefix="yibao-bench-") as tmp:
        inbox = Path(tmp) / "inbox"
        with peak_rss() as gen:
            summary = synth.generate(args.county, args.people, args.seed, inbox)
        as_of = summary.as_of
        os.sync()  # a day's drops arrive hours before the run: none of them is still being written back

        def fresh(name: str):
            home = Path(tmp) / name
            shutil.rmtree(home, ignore_errors=True)
            return dataclasses.replace(
                Settings.from_env(args.county), home=home, inbox=inbox,
                warehouse_url=f"sqlite:///{home / 'warehouse.db'}", tax_exchange_url=f"sqlite:///{home / 'exchange.db'}")

        runs: dict[str, list[dict]] = {}
        chains = []
        for round_no in range(args.rounds):
            stages_alone(fresh("stages"), as_of, runs)

            # the chain in a process of its own, as ``yibao pipeline run`` runs it: not in this one, which holds
            # what synth and the stages above left behind
            os.sync()  # what synth and the stages wrote (~1 GB) is flushed, not written back under the chain
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
                chains.append(child.submit(run_chain, fresh("chain"), as_of).result())
            print(f"round {round_no + 1}/{args.rounds}: chain {chains[-1][0]['seconds']:.2f} s", flush=True)

    stages = {}
    for name, measured in runs.items():
        seconds = statistics.median(m["seconds"] for m in measured)
        stages[name] = {"seconds": seconds, "runs": [m["seconds"] for m in measured],
                        "peak_rss_mb": max(m["peak_rss_mb"] for m in measured)}
        if name in REFERENCE:
            stages[name] |= {"reference": REFERENCE[name], "ratio": round(seconds / REFERENCE[name], 2)}
    # the median chain by its wall seconds, whole: its stages, timeline and rerun belong together
    chain, first, rerun, again = sorted(chains, key=lambda c: c[0]["seconds"])[len(chains) // 2]
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                    "speed_before_after": [host_before, host.speed()]},  # probe seconds (bench/host.py)
        "county": args.county,
        "people": args.people,
        "import_seconds": round(import_seconds, 2),
        "gx_context_seconds": round(gx_seconds, 2),
        "synth": {"seconds": round(gen["seconds"], 2), "peak_rss_mb": round(gen["peak"] / 2**20, 1)},
        "stages": stages,
        "rounds": args.rounds,
        "chain": {"seconds": round(chain["seconds"], 2), "runs": [round(c[0]["seconds"], 2) for c in chains],
                  "peak_rss_mb": round(chain["peak"] / 2**20, 1),
                  "peak_rss_mb_runs": [round(c[0]["peak"] / 2**20, 1) for c in chains],
                  "stage_seconds": first["seconds"], "timeline": first["timeline"], "reference_seconds": REFERENCE_CHAIN,
                  "target_seconds": TARGETS["chain_seconds"], "target_peak_mb": TARGETS["peak_mb"]},
        "rerun_same_inputs": {"seconds": round(rerun["seconds"], 2), "runs": [round(c[2]["seconds"], 2) for c in chains],
                              "target_seconds": TARGETS["rerun_seconds"],
                              "bills": again["bills"], "tax_push": again["tax_push"]},
        "bills": first["bills"],
        "coverage": first["coverage"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"medians of {args.rounds} rounds (every run in {args.out.name}); host probes (bench/host.py), "
          f"before and after: {result['machine']['speed_before_after']}")
    print(f"{'stage (alone)':<34}{'seconds':>9}{'DuckDB':>9}{'ratio':>8}{'peak MB':>10}   runs")
    for name, v in stages.items():
        ref = f"{v['reference']:>9.2f}{v['ratio']:>8.2f}" if "reference" in v else " " * 17
        print(f"{name:<34}{v['seconds']:>9.3f}{ref}{v['peak_rss_mb']:>10.1f}   {v['runs']}")
    print(f"{'whole chain (pipeline.run)':<34}{chain['seconds']:>9.2f}{REFERENCE_CHAIN:>9.2f}"
          f"{chain['seconds'] / REFERENCE_CHAIN:>8.2f}{chain['peak'] / 2**20:>10.1f}"
          f"   (target ≤ {TARGETS['chain_seconds']} s, ≤ {TARGETS['peak_mb']} MB)   {result['chain']['runs']}")
    print(f"{'rerun, nothing changed':<34}{rerun['seconds']:>9.2f}   (target ≤ {TARGETS['rerun_seconds']} s)")
    print(f"{'imports / GX context (once)':<34}{import_seconds:>9.2f}{gx_seconds:>9.2f}")
    print(f"{'synth ' + str(args.people):<34}{gen['seconds']:>9.2f}")


if __name__ == "__main__":
    main()
