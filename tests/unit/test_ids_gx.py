"""The custom GX expectation is registered, survives suite loading, and gates on ID validity."""

from __future__ import annotations

import logging

import great_expectations as gx
import pandas as pd
import pytest
from great_expectations.expectations.registry import get_expectation_impl
from stdnum.cn.ric import calc_check_digit

from yibao import gx_expectations
from yibao.errors import UserError

VALID = [b + calc_check_digit(b + "0") for b in (f"37048119800101{i:03d}" for i in range(10))]
SUITE = {
    "name": "roster_ids",
    "expectations": [
        {
            "type": "expect_column_values_to_be_valid_resident_id",
            "kwargs": {"column": "id_number", "mostly": 0.9, "as_of": "2024-01-01"},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id_number"}},
    ],
}


@pytest.fixture(scope="module")
def batch_definition():
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("roster")
    return context, source.add_dataframe_asset("ids").add_batch_definition_whole_dataframe("all")


def test_expectation_is_registered():
    assert gx_expectations.register() == "expect_column_values_to_be_valid_resident_id"
    impl = get_expectation_impl("expect_column_values_to_be_valid_resident_id")
    assert impl is gx_expectations.ExpectColumnValuesToBeValidResidentId


def test_suite_keeps_every_expectation_after_load():
    suite = gx_expectations.load_suite(SUITE)
    assert len(suite.expectations) == 2
    assert suite.expectations[0].expectation_type == "expect_column_values_to_be_valid_resident_id"


def test_unknown_expectation_type_is_refused_not_dropped():
    data = {**SUITE, "expectations": [*SUITE["expectations"], {"type": "expect_no_such_thing", "kwargs": {}}]}
    assert len(gx.ExpectationSuite(**data).expectations) == 2  # what GX does on its own: silently drops
    with pytest.raises(UserError, match="未能加载"):
        gx_expectations.load_suite(data)


def validate(batch_definition, ids: list[str]):
    context, definition = batch_definition
    suite = context.suites.add_or_update(gx_expectations.load_suite(SUITE))
    batch = definition.get_batch(batch_parameters={"dataframe": pd.DataFrame({"id_number": ids})})
    return batch.validate(suite)


def test_good_data_passes(batch_definition):
    wrong_check = VALID[0][:17] + ("0" if VALID[0][17] != "0" else "1")
    result = validate(batch_definition, VALID[1:] + [wrong_check])  # 9 of 10 valid: mostly=0.9 holds
    assert result.success
    assert result.results[0].result["unexpected_count"] == 1


def test_bad_data_fails(batch_definition):
    result = validate(batch_definition, VALID[:8] + ["3.70481E+17", VALID[0][:16]])
    assert not result.success
    assert result.results[0].result["unexpected_count"] == 2
    assert result.results[1].success  # nulls are the other expectation's business
