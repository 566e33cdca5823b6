"""The Great Expectations gate: a whole feed is refused when it is clearly the wrong file or badly broken.

Row-level problems are quarantined by :mod:`yibao.staging`; the gate catches what row checks cannot,
such as a roster where a third of the IDs are invalid (wrong column, a file saved through Excel).
Suites live in ``expectations/<feed kind>.json``. GX is imported here only, inside task bodies.

Every rule in the suites is a share (``mostly``) or a minimum row count, so a feed larger than
:data:`GATE_SAMPLE_ROWS` is judged on a fixed uniform sample of that size (the share is then known to
within about ±0.5 percentage points, ±0.1 near the 99% rules); every row is still checked one by one in staging.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from yibao.readers import FeedError
from yibao.sources import Source

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
GATE_SAMPLE_ROWS = 50_000
_GX_LOCK = threading.Lock()


def suite_path(kind: str) -> Path:
    return Path(os.environ.get("YIBAO_EXPECTATIONS_DIR") or EXPECTATIONS_DIR) / f"{kind}.json"


@cache
def _batch_definition():
    """One ephemeral GX context per process (GX is slow to import: only task bodies get here)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # task logs stay readable
    return context.data_sources.add_pandas("yibao").add_dataframe_asset("feed").add_batch_definition_whole_dataframe("whole")


def build_suite(kind: str):
    """The suite for a feed kind, refusing one that GX loaded only partially."""
    from yibao.gx_expectations import load_suite

    return load_suite(suite_path(kind))


def gate(frame: pd.DataFrame, source: Source) -> None:
    """Validate a feed's rows (as read; ragged rows, set aside by the reader, left out) against its kind's
    suite; raise :class:`FeedError` on failure.

    Messages name the rule and the share of bad rows, never the values (they may be ID numbers).
    """
    with _GX_LOCK:  # one GX context per process, and GX is not thread-safe (ingest runs feeds in threads)
        suite = build_suite(source.kind)
        used = sorted({e.column for e in suite.expectations if getattr(e, "column", None)})
        # GX hashes every cell it is given to name the batch: give it only the columns the suite reads.
        sample = frame[[c for c in used if c in frame]]
        if "_ragged" in frame and (frame["_ragged"] != "").any():
            sample = sample[frame["_ragged"] == ""]
        if len(sample) > GATE_SAMPLE_ROWS:
            picked = np.random.default_rng(0).choice(len(sample), GATE_SAMPLE_ROWS, replace=False)
            sample = sample.iloc[np.sort(picked)]
        result = _batch_definition().get_batch(batch_parameters={"dataframe": sample}).validate(suite)
    failures = []
    for r in result.results:
        if not r.success:
            kwargs = r.expectation_config.kwargs
            column = kwargs.get("column")
            header = source.header(column) if column in source.columns else column
            share = r.result.get("unexpected_percent")
            detail = f"，不合格比例 {share:.1f}%" if isinstance(share, (int, float)) else ""
            note = (r.expectation_config.meta or {}).get("说明", r.expectation_config.type)
            failures.append(f"{header or '整表'}：{note}{detail}")
    if failures:
        raise FeedError(f"{source.department}{source.title} 未通过数据质量检查：" + "；".join(failures))
