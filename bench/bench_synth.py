"""Time the synthetic county generator: ``python bench/bench_synth.py [PEOPLE ...]`` (default 1,000,000).

Prints a table (people, seconds, seconds per stage, peak memory) and writes bench/results/synth.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

from yibao.synth import generate

RESULTS = Path(__file__).resolve().parent / "results" / "synth.json"


def run(people: int, rules_id: str = "wenxi-2024", seed: int = 1) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        with peak_rss() as mem:
            summary = generate(rules_id, people, seed, Path(tmp))
        stages = json.loads((Path(tmp) / "_truth" / "summary.json").read_text(encoding="utf-8"))["timings"]
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    return {
        "rules_id": rules_id,
        "people": people,
        "seconds": round(mem["seconds"], 2),
        "stages": stages,
        "files": len(summary.files),
        "roster_defects": sum(summary.defects.values()),
        "bytes_written": size,
        "peak_rss_mb": round(mem["peak"] / 2**20),
    }


def main(argv: list[str]) -> int:
    sizes = [int(x) for x in argv] or [1_000_000]
    rows = [run(n) for n in sizes]
    print(f"{'people':>10} {'seconds':>8} {'peak MB':>8}  stages (s)")
    for r in rows:
        stages = " ".join(f"{k}={v}" for k, v in r["stages"].items())
        print(f"{r['people']:>10,} {r['seconds']:>8.2f} {r['peak_rss_mb']:>8}  {stages}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "runs": rows}, indent=2) + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
