"""Property tests: valid IDs round-trip; MOD 11-2 catches every single substitution and adjacent swap."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn.ric import calc_check_digit  # independent oracle

from yibao.ids import check, from_key, ric, to_key
from yibao.ids.regions import IN_USE, region_table

AS_OF = dt.date(2024, 6, 30)
IN_USE_CODES = [f"{c:06d}" for c in np.flatnonzero(region_table().last_year == IN_USE)]
CHARS = "0123456789X"


@st.composite
def valid_ids(draw, earliest=dt.date(1905, 1, 1), latest=AS_OF):
    region = draw(st.sampled_from(IN_USE_CODES))
    birth = draw(st.dates(min_value=earliest, max_value=latest))
    body = f"{region}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + calc_check_digit(body + "0")


def only_code(value: str) -> int:
    return int(check(pd.Series([value]), as_of=AS_OF)["reason_mask"].iloc[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_ids(), min_size=1, max_size=30))
def test_valid_ids_round_trip(ids):
    frame = check(pd.Series(ids), as_of=AS_OF)
    assert frame["valid"].all()
    assert frame["normalized"].tolist() == ids
    assert from_key(to_key(frame["normalized"])).tolist() == ids
    assert from_key(frame["key"]).tolist() == ids
    assert frame["birth_date"].dt.strftime("%Y%m%d").tolist() == [i[6:14] for i in ids]
    assert frame["sex"].tolist() == ["男" if int(i[16]) % 2 else "女" for i in ids]
    assert [ric.validate(i, as_of=AS_OF) for i in ids] == ids


@settings(max_examples=100, deadline=None)
@given(valid_ids(), st.sampled_from(["lower", "spaces", "fullwidth"]))
def test_safe_dirt_normalizes_back(value, dirt):
    dirty = {
        "lower": value.lower(),
        "spaces": f" {value[:6]} {value[6:14]} {value[14:]} ",
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in value),
    }[dirt]
    frame = check(pd.Series([dirty, value]), as_of=AS_OF)
    assert frame["normalized"].tolist() == [value, value]
    assert frame["valid"].all()


@settings(max_examples=300, deadline=None)
@given(valid_ids(), st.integers(0, 17), st.sampled_from(CHARS))
def test_single_substitution_is_caught(value, position, char):
    if position < 17 and char == "X":
        char = "0"
    if char == value[position]:
        return
    typo = value[:position] + char + value[position + 1 :]
    frame = check(pd.Series([typo]), as_of=AS_OF)
    assert not frame["valid"].iloc[0]
    assert frame["expected_check"].iloc[0] == calc_check_digit(typo[:17] + "0")


@settings(max_examples=300, deadline=None)
@given(valid_ids(), st.integers(0, 16))
def test_adjacent_swap_is_caught(value, position):
    a, b = value[position], value[position + 1]
    if a == b or (position == 16 and b == "X"):
        return
    swapped = value[:position] + b + a + value[position + 2 :]
    frame = check(pd.Series([swapped]), as_of=AS_OF)
    assert not frame["valid"].iloc[0]
    assert pd.notna(frame["expected_check"].iloc[0])


@settings(max_examples=200, deadline=None)
@given(valid_ids(latest=dt.date(1999, 12, 31)))
def test_legacy_15_upgrades_validate(value):
    legacy = value[:6] + value[8:17]
    frame = check(pd.Series([legacy]), as_of=AS_OF)
    row = frame.iloc[0]
    assert row["normalized"] == value
    assert bool(row["valid"]) and bool(row["upgraded15"])
    assert ric.to_18(legacy) == value
