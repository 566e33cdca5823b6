"""The Great Expectations gate: a whole feed is refused when it is clearly the wrong file or badly broken.

Row-level problems are quarantined by :mod:`yibao.staging`; the gate catches what row checks cannot,
such as a roster where a third of the IDs are invalid (wrong column, a file saved through Excel).
Suites live in ``expectations/<feed kind>.json``. GX is imported here only, inside task bodies.

Every rule in the suites is a share (``mostly``) or a minimum row count, so a feed larger than
:data:`GATE_SAMPLE_ROWS` is judged on a fixed uniform sample of that size (the share is then known to
within about ±0.5 percentage points, ±0.1 near the 99% rules); every row is still checked one by one in staging.

A good feed costs milliseconds: each expectation is first checked with the vectorized rule GX's pandas
engine runs for its type (:data:`SURE_RULES`), counting missing values as failures (GX skips them) and
asking for a share strictly above ``mostly``, so a sample that passes them all is sure to pass GX. Any
other sample (a rule missed or near its limit, an expectation type or argument not listed) goes to GX,
whose results give the failure messages; so do suites with types this module does not know.
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


def _share(ok: pd.Series, kwargs: dict) -> bool:
    ok = ok.fillna(False).astype(bool)  # a missing value fails here (GX leaves it out: it can only pass more)
    mostly = kwargs.get("mostly", 1.0)
    return bool(ok.all()) if mostly >= 1 else len(ok) > 0 and float(ok.mean()) > mostly


def _lengths(column: pd.Series, kwargs: dict) -> pd.Series:
    lengths = column.str.len()
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    return (lengths >= (low if low is not None else 0)) & (lengths <= (high if high is not None else np.inf))


def _valid_ids(column: pd.Series, kwargs: dict) -> pd.Series:
    from yibao import ids

    return ids.check(column)["valid"]  # what the suite's custom expectation runs (gx_expectations)


# expectation type → (the arguments the rule understands, row-wise rule as GX's pandas engine has it)
SURE_RULES = {
    "expect_column_values_to_be_valid_resident_id": ({"column", "mostly"}, _valid_ids),
    "expect_column_value_lengths_to_be_between": ({"column", "mostly", "min_value", "max_value"}, _lengths),
    "expect_column_values_to_be_in_set": ({"column", "mostly", "value_set"},
                                          lambda column, kwargs: column.isin(kwargs["value_set"])),
    "expect_column_values_to_match_regex": ({"column", "mostly", "regex"},
                                            lambda column, kwargs: column.str.contains(kwargs["regex"], regex=True)),
}


def surely_met(sample: pd.DataFrame, kind: str, kwargs: dict) -> bool:
    """Is the expectation (GX type and arguments) sure to hold on ``sample``? False means: ask GX."""
    if kind == "expect_table_row_count_to_be_between" and set(kwargs) <= {"min_value", "max_value"}:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        return (low is None or len(sample) >= low) and (high is None or len(sample) <= high)
    known, rule = SURE_RULES.get(kind, (set(), None))
    if rule is None or not set(kwargs) <= known or kwargs.get("column") not in sample:
        return False
    try:
        return _share(rule(sample[kwargs["column"]], kwargs), kwargs)
    except (AttributeError, TypeError, ValueError):  # not text, or arguments GX would refuse: GX says why
        return False


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
        if all(surely_met(sample, e.expectation_type, e.configuration.kwargs) for e in suite.expectations):
            return
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
