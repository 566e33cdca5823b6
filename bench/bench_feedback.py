"""Feedback-workbook benchmark: 50,000 rejected rows → one workbook per department, beside pandas.to_excel.

    .venv/bin/python bench/bench_feedback.py [--rows 50000] [--repeat 3]

Target (issue 9): the feedback workbooks for 50,000 rejected rows ≤ 3 s (reading the rejections, joining
suggestions, building each department's layout and cover sheet, writing and atomically publishing the
folder). The rejected rows are spread over five roster feeds (four departments) in the notice's layout
(闻喜 附件2 title rows); the reference writes the same rows with ``DataFrame.to_excel`` (openpyxl).
Writes bench/results/feedback.json.
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

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

from yibao import storage
from yibao.outputs import feedback
from yibao.settings import Settings
from yibao.sources import load_sources

RESULTS = Path(__file__).resolve().parent / "results" / "feedback.json"
AS_OF = dt.date(2023, 12, 25)
TARGET = 3.0
FEEDS = ("minzheng_zongmingdan", "minzheng_tiaozheng", "xiangcun_zongmingdan", "canlian", "weijian")
TITLE = [["闻喜县民政局 2023年12月 困难人口总名单"], ["单位名称（盖章）：闻喜县民政局"], ["2023年12月25日"]]


def staged_rejections(settings: Settings, rows: int, rng: np.random.Generator) -> None:
    """Rejected rows as staging keeps them (as read, with codes), layouts, and register suggestions."""
    sources = load_sources()
    per_feed = rows // len(FEEDS)
    suggestions = []
    for feed in FEEDS:
        source = sources[feed]
        file = f"{source.department}/{source.title}_20231225.{source.format}"
        header = [source.header(c) for c in source.columns]
        frame = pd.DataFrame({c: pd.Series(rng.integers(10**17, 10**18, per_feed)).astype("str")
                              if c == "id_number" else f"{source.header(c)}值" for c in source.columns})
        frame["name"] = "张" + pd.Series(rng.integers(0, 999, per_feed)).astype("str")
        frame = frame.assign(_file=file, _row=np.arange(1, per_feed + 1), _ragged="", _raw="", feed=feed,
                             reason_codes=rng.choice(["BAD_CHECK", "NOT_IN_REGISTER", "DUPLICATE_ROW"], per_feed),
                             reason_text="校验位错误，应为5")
        storage.publish_frame(frame, settings.staging / "rejections" / f"{feed}.arrow")
        layout = {file: {"title": TITLE if source.format == "xlsx" else [], "header": header}}
        folder = feedback.received_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{feed}.layout.json").write_text(json.dumps(layout, ensure_ascii=False), encoding="utf-8")
        hit = frame.sample(frac=0.3, random_state=1)
        suggestions.append(pd.DataFrame({"feed": feed, "file": file, "row_no": hit["_row"],
                                         "suggested_id": hit["id_number"]}))
    storage.publish_frame(pd.concat(suggestions, ignore_index=True),
                            settings.staging / "rejections" / "_suggestions.arrow")
    storage.publish_frame(pd.DataFrame(columns=["source", "_file", "_row", "reason_codes", "reason_text"]),
                            settings.staging / "rejections" / "_crosscheck.arrow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(Settings.from_env("wenxi-2024"), home=Path(tmp))
        staged_rejections(settings, args.rows, np.random.default_rng(7))
        runs, peak, written = [], 0, {}
        for _ in range(args.repeat):
            with peak_rss() as mem:
                started = time.perf_counter()
                written = feedback.write_feedback(settings, as_of=AS_OF, county_name="闻喜县")
                runs.append(time.perf_counter() - started)
            peak = max(peak, mem["peak"])
        frames = [storage.read_staged(settings.staging / "rejections" / f"{f}.arrow") for f in FEEDS]
        started = time.perf_counter()
        with pd.ExcelWriter(Path(tmp) / "reference.xlsx", engine="openpyxl") as writer:
            for feed, frame in zip(FEEDS, frames, strict=True):
                frame.to_excel(writer, sheet_name=feed[:31], index=False)
        reference = time.perf_counter() - started
    out = {
        "benchmark": "feedback",
        "machine": {"python": platform.python_version(), "pandas": pd.__version__, "cpus": os.cpu_count(),
                    "loadavg_1min": round(os.getloadavg()[0], 2)},
        "rejected_rows": written["rows"],
        "workbooks": written["workbooks"],
        "best_seconds": round(min(runs), 3),
        "runs_seconds": [round(r, 3) for r in runs],
        "peak_rss_mb": round(peak / 2**20),
        "target_seconds": TARGET,
        "meets_target": min(runs) <= TARGET,
        "reference_pandas_to_excel_openpyxl_seconds": round(reference, 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
