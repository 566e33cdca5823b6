"""Great Expectations gate on resident ID validity, using the same vectorized rules as the pipeline.

GX registers an Expectation class when the class is defined, and silently drops suite entries whose type
it does not know (it logs and still reports success). So: import this module before loading any suite
(:func:`register` makes the import explicit), and load suites with :func:`load_suite`, which refuses a
suite that lost expectations on the way in.

Missing values are not judged here (GX map expectations skip nulls); pair this expectation with
``expect_column_values_to_not_be_null`` when an empty ID must fail.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import ClassVar

import great_expectations as gx
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial
from great_expectations.expectations.registry import get_expectation_impl

from yibao.errors import UserError

SNAKE_NAME = "expect_column_values_to_be_valid_resident_id"


class ColumnValuesValidResidentId(ColumnMapMetricProvider):
    """Row-wise validity from :func:`yibao.ids.check` (one vectorized call per batch)."""

    condition_metric_name = "column_values.valid_resident_id"
    condition_value_keys = ("as_of",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, as_of=None, **kwargs):
        from yibao.ids import check

        day = dt.date.fromisoformat(as_of) if as_of else None
        return check(column, as_of=day)["valid"]


class ExpectColumnValuesToBeValidResidentId(ColumnMapExpectation):
    """Expect column values to be valid resident ID numbers (GB 11643-1999, see ``yibao.ids``).

    ``as_of`` (YYYY-MM-DD, optional) fixes the date used for the not-in-the-future rule; default today
    in Asia/Shanghai.
    """

    as_of: str | None = None

    map_metric = "column_values.valid_resident_id"
    success_keys = ("mostly", "as_of")
    args_keys = ("column", "as_of")
    library_metadata: ClassVar[dict] = {"tags": ["yibao", "resident id"], "contributors": ["yibao"]}


def register() -> str:
    """Make sure the custom expectation is known to GX; returns its snake-case name.

    >>> register()
    'expect_column_values_to_be_valid_resident_id'
    """
    assert get_expectation_impl(SNAKE_NAME) is ExpectColumnValuesToBeValidResidentId
    return SNAKE_NAME


def load_suite(source: Path | str | dict) -> gx.ExpectationSuite:
    """An ExpectationSuite from a JSON file (or dict), refusing one that GX loaded only partially."""
    register()
    data = source if isinstance(source, dict) else json.loads(Path(source).read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**data)
    declared = len(data.get("expectations", []))
    if len(suite.expectations) != declared:
        raise UserError(
            f"质量规则集 {data.get('name')} 有 {declared - len(suite.expectations)} 条规则未能加载"
            f"（expectation suite lost expectations on load: {declared} declared, {len(suite.expectations)} loaded）"
        )
    return suite
