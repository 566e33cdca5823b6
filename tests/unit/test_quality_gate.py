"""The quality gate's fast path: whatever it vouches for, GX passes too; a good feed never reaches GX; a
bad one still fails with GX's rule and share."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn.ric import calc_check_digit

from yibao import quality
from yibao.readers import FeedError
from yibao.sources import load_sources

VALID_IDS = [b + calc_check_digit(b + "0") for b in (f"14082319800101{i:03d}" for i in range(20))]
CELLS = {  # per column the suites read: good values, bad ones, empty and missing
    "id_number": [*VALID_IDS[:6], "140823198001011235", "12345", ""],
    "name": ["张三", "买买提·艾力", "", " "],
    "category": ["低保对象", "特困人员", ""],
    "town": ["桐城镇", ""],
    "register_status": ["正常", "死亡", "迁出", "注销", ""],
    "change_type": ["新增", "退出", "调整", ""],
    "paid_amount": ["380", "380.5", "0.00", "38.123", "abc", ""],
}
KINDS = ["register", "roster", "roster_changes", "payments", "residence", "employee_insured", "insured_elsewhere"]


def _column(name: str):
    return st.lists(st.one_of(st.sampled_from(CELLS.get(name, ["x", ""])), st.none()), min_size=0, max_size=40)


@st.composite
def frames(draw):
    kind = draw(st.sampled_from(KINDS))
    suite = quality.build_suite(kind)
    columns = sorted({e.column for e in suite.expectations if getattr(e, "column", None)})
    rows = draw(st.integers(0, 40))
    # mostly-good columns, so that rules near their limits are drawn as often as clear passes and failures
    data = {c: (draw(_column(c)) + [CELLS.get(c, ["x"])[0]] * rows)[:rows] for c in columns}
    return kind, pd.DataFrame({c: pd.Series(v, dtype="str") for c, v in data.items()}, index=range(rows))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_what_the_fast_path_vouches_for_gx_passes(case):
    kind, frame = case
    suite = quality.build_suite(kind)
    result = quality._batch_definition().get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    assert len(result.results) == len(suite.expectations)
    for e, judged in zip(suite.expectations, result.results, strict=True):  # GX reports in the suite's order
        assert judged.expectation_config.type == e.expectation_type
        if quality.surely_met(frame, e.expectation_type, e.configuration.kwargs):
            assert judged.success, (kind, e.expectation_type, e.configuration.kwargs)


def _roster(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id_number": ids, "name": ["张三"] * len(ids), "category": ["低保对象"] * len(ids)},
                        dtype="str")


def test_a_good_feed_never_reaches_gx_and_a_bad_one_fails_with_its_rule(monkeypatch):
    source = load_sources()["minzheng_zongmingdan"]
    real = quality._batch_definition

    def no_gx():
        raise AssertionError("GX was asked about a feed the fast path passes")

    monkeypatch.setattr(quality, "_batch_definition", no_gx)
    quality.gate(_roster(VALID_IDS), source)  # every rule clearly met
    monkeypatch.setattr(quality, "_batch_definition", real)
    with pytest.raises(FeedError, match="身份证号码有效比例应不低于90%，不合格比例 50.0%"):
        quality.gate(_roster(VALID_IDS[:10] + ["12345"] * 10), source)
    quality.gate(_roster(VALID_IDS[:18] + ["12345"] * 2), source)  # exactly 90%: GX decides, and passes


@pytest.mark.parametrize(("kind", "kwargs"), [
    ("expect_column_values_to_be_valid_resident_id", {"column": "id_number", "mostly": 0.9, "as_of": "2024-01-01"}),
    ("expect_column_values_to_not_be_null", {"column": "id_number"}),
    ("expect_column_value_lengths_to_be_between", {"column": "missing", "min_value": 1}),
])
def test_arguments_or_types_it_does_not_know_go_to_gx(kind, kwargs):
    assert not quality.surely_met(_roster(VALID_IDS), kind, kwargs)
