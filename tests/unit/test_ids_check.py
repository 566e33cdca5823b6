"""Table tests: each reason code on real-shaped IDs; derived fields; the region-history rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from stdnum.cn.ric import calc_check_digit  # independent oracle for check characters

from yibao.ids import REASONS, check, describe, from_key, ric, to_key

AS_OF = dt.date(2024, 1, 1)


def make(region: str, birth: str, seq: str = "123") -> str:
    """A valid-check ID for region + YYYYMMDD + sequence (check character from python-stdnum)."""
    body = region + birth + seq
    return body + calc_check_digit(body + "0")


def codes(value: object, **kwargs) -> list[str]:
    frame = check(pd.Series([value], dtype=object), as_of=AS_OF, **kwargs)
    text = describe(frame)["reason_codes"].iloc[0]
    return text.split(",") if text else []


TENGZHOU = make("370481", "19800101")  # 滕州市 [1989-]: created after this person's birth


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (TENGZHOU, []),
        ("", ["EMPTY"]),
        ("   ", ["EMPTY"]),
        (None, ["EMPTY"]),
        ("3.70481E+17", ["EXCEL_SCIENTIFIC"]),
        ("3.70481e+17", ["EXCEL_SCIENTIFIC"]),
        (TENGZHOU[:-1] + "0.0", ["EXCEL_DECIMAL"]),
        ("370481198001011.0", ["EXCEL_DECIMAL"]),
        (TENGZHOU[:17], ["TRUNCATED"]),
        (TENGZHOU[:16], ["TRUNCATED"]),
        ("3704811980", ["BAD_LENGTH"]),
        (TENGZHOU + "1", ["BAD_LENGTH"]),
        ("37048119800101123A", ["BAD_CHARS"]),
        ("3704811980O101123X", ["BAD_CHARS"]),  # letter O for zero
        ("张三", ["BAD_LENGTH", "BAD_CHARS"]),
        (make("370481", "19800230"), ["BAD_BIRTH_DATE"]),  # 30 February
        (make("370481", "19000229"), ["BAD_BIRTH_DATE"]),  # 1900 is not a leap year
        (make("370481", "19801301"), ["BAD_BIRTH_DATE"]),
        (make("370481", "20240102"), ["FUTURE_BIRTH"]),
        (make("370481", "18990101"), ["TOO_OLD"]),
        (make("990000", "19800101"), ["UNKNOWN_REGION"]),
        (make("142222", "20050101"), ["REGION_RETIRED"]),  # 定襄县 [-2000]
        ("370481800101123", ["LEGACY_15"]),
    ],
)
def test_reason_codes(value, expected):
    assert codes(value) == sorted(expected, key=list(REASONS).index)


def test_every_reason_code_is_covered_and_ordered():
    assert list(REASONS) == [
        "EMPTY", "EXCEL_SCIENTIFIC", "EXCEL_DECIMAL", "TRUNCATED", "BAD_LENGTH", "BAD_CHARS", "BAD_CHECK",
        "BAD_BIRTH_DATE", "FUTURE_BIRTH", "TOO_OLD", "UNKNOWN_REGION", "REGION_RETIRED", "LEGACY_15",
        "OUTSIDE_HOME_REGION",
    ]  # fmt: skip
    assert [r.bit for r in REASONS.values()] == [1 << i for i in range(14)]
    assert {c for c, r in REASONS.items() if r.level == "info"} == {"LEGACY_15", "OUTSIDE_HOME_REGION"}


def test_bad_check_names_the_right_character():
    body = "37048119800101123"
    right = calc_check_digit(body + "0")
    wrong = "0" if right != "0" else "1"
    frame = check(pd.Series([body + wrong]), as_of=AS_OF)
    assert codes(body + wrong) == ["BAD_CHECK"]
    assert frame["expected_check"].iloc[0] == right
    assert describe(frame)["reason_text"].iloc[0] == f"校验位错误，应为{right}"
    assert frame["normalized"].iloc[0] == body + wrong  # kept as written, for correction suggestions


def test_several_reasons_on_one_id():
    valid = make("990000", "20250101")
    value = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    frame = check(pd.Series([value]), as_of=AS_OF)
    assert describe(frame)["reason_codes"].iloc[0] == "BAD_CHECK,FUTURE_BIRTH,UNKNOWN_REGION"
    assert describe(frame)["reason_text"].iloc[0].count("；") == 2


def test_elder_with_region_code_created_after_birth_is_valid():
    elder = make("140823", "19400315", "011")  # 闻喜县 code [2000-], man born 1940
    assert codes(elder) == []
    assert ric.validate(elder, as_of=AS_OF) == elder


def test_retired_code_is_valid_up_to_its_last_year():
    assert codes(make("142222", "20000101")) == []  # 定襄县 [-2000]: still in use in 2000
    assert codes(make("142222", "19500101")) == []
    assert codes(make("142222", "20010101")) == ["REGION_RETIRED"]


def test_legacy_15_is_upgraded_and_flagged():
    frame = check(pd.Series(["370481800101123"]), as_of=AS_OF)
    row = frame.iloc[0]
    assert row["normalized"] == make("370481", "19800101")
    assert bool(row["valid"]) and bool(row["upgraded15"])
    assert ric.to_18("370481800101123") == make("370481", "19800101")


def test_safe_normalizations():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002") + "Ｘ"
    values = pd.Series(
        [
            " 11010519491231002x ",
            "110105-19491231-002X",
            full_width,
            "\t11010519491231002X",
            "'11010519491231002X",
            '="11010519491231002X"',  # a system export's wrapper that keeps Excel from making it a number
            "\ufeff11010519491231002X\u200b",  # copied from a web page
        ]
    )
    frame = check(values, as_of=AS_OF)
    assert frame["normalized"].tolist() == ["11010519491231002X"] * 7
    assert frame["valid"].all()


def test_excel_damage_is_not_repaired():
    frame = check(pd.Series(["3.70481E+17", "370481198001011234.0", "37048119800101123"]), as_of=AS_OF)
    assert frame["normalized"].isna().all()
    assert (frame["key"] == -1).all()
    assert not frame["valid"].any()


def test_numbers_from_a_numeric_column():
    frame = check(pd.Series([3.70481e17, np.nan]), as_of=AS_OF)
    assert describe(frame)["reason_codes"].tolist() == ["EXCEL_SCIENTIFIC", "EMPTY"]


def test_derived_fields_and_dtypes():
    man, woman = make("370481", "19640229", "011"), make("371724", "20000101", "002")
    frame = check(pd.Series([man, woman, "bad"], index=[10, 20, 30]), as_of=AS_OF)
    assert frame.index.tolist() == [10, 20, 30]
    assert frame["sex"].tolist() == ["男", "女", pd.NA]
    assert frame["birth_date"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["1964-02-29", "2000-01-01"]
    assert pd.isna(frame["birth_date"].iloc[2])
    assert frame["valid"].tolist() == [True, True, False]
    assert str(frame["normalized"].dtype) == "string"
    assert frame["reason_mask"].dtype == np.int64 and frame["key"].dtype == np.int64
    assert frame["key"].iloc[0] == int(man[:17]) * 11 + int(man[17])


def test_home_region_flag_is_information_only():
    tengzhou, juye = make("370481", "19800101"), make("371724", "19800101")
    frame = check(pd.Series([tengzhou, juye]), as_of=AS_OF, home_region="370481")
    assert frame["valid"].tolist() == [True, True]
    assert describe(frame)["reason_codes"].tolist() == ["", "OUTSIDE_HOME_REGION"]
    prefecture = check(pd.Series([tengzhou, juye]), as_of=AS_OF, home_region="37")
    assert prefecture["reason_mask"].tolist() == [0, 0]


def test_key_round_trip_and_x():
    ids = pd.Series(["11010519491231002X", make("370481", "19800101"), None])
    keys = to_key(ids)
    assert keys[0] == 11010519491231002 * 11 + 10 and keys[2] == -1
    assert from_key(keys).tolist() == ids.tolist()[:2] + [pd.NA]


def test_scalar_validate_masks_the_id_and_carries_codes():
    value = make("990000", "19800101")
    with pytest.raises(ric.InvalidID) as info:
        ric.validate(value, as_of=AS_OF)
    assert info.value.codes == ["UNKNOWN_REGION"]
    assert value not in str(info.value) and "990000********" in str(info.value)
    assert ric.is_valid(TENGZHOU, as_of=AS_OF) and not ric.is_valid(value, as_of=AS_OF)
