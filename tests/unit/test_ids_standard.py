"""ID verdicts that must agree with GB 11643-1999 and the GB/T 2260 history (issue 10's vectors)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from yibao.ids import check, describe
from yibao.ids.regions import IN_USE, region_table
from yibao.ids.ric import calc_check_char

AS_OF = dt.date(2024, 6, 1)


def full(body: str) -> str:
    return body + calc_check_char(body)


def verdict(value: str) -> tuple[bool, list[str]]:
    frame = check(pd.Series([value]), as_of=AS_OF)
    codes = describe(frame)["reason_codes"].iloc[0]
    return bool(frame["valid"].iloc[0]), [c for c in codes.split(",") if c]


@pytest.mark.parametrize(("value", "reason"), [
    ("11010580010101X", "BAD_CHARS"),  # 14 digits + X: a 15-digit legacy number has no check character
    ("11010519491231002:", "BAD_CHARS"),  # ':' is not 'X' (byte 58 = '0' + 10)
    ("1101051949123100;X", "BAD_CHARS"),
    (full("11010500000101001"), "BAD_BIRTH_DATE"),  # year 0000 is not a date
])
def test_malformed_values_are_invalid_with_the_right_reason(value, reason):
    valid, reasons = verdict(value)
    assert not valid
    assert reason in reasons
    assert "TOO_OLD" not in reasons


def test_year_zero_has_no_birth_date():
    frame = check(pd.Series([full("11010500000101001")]), as_of=AS_OF)
    assert frame["birth_date"].isna().all()


@pytest.mark.parametrize(("code", "born", "name"), [
    ("830000", "19800101", None),  # 台湾居民居住证 (810000/820000 already pass)
    ("810000", "19800101", None),
    ("620201", "20050101", None),  # 嘉峪关市市辖区
    ("330113", "20210601", "临平区"),  # 2021: every newborn of 杭州市临平区
    ("330114", "20210601", "钱塘区"),
    ("139002", "19900101", "辛集市"),  # 1989–94 xx90xx county-level city codes
    ("339001", "19900101", "余姚市"),
    ("219008", "19920101", "普兰店市"),
    ("449001", "19900101", None),
])
def test_region_codes_in_use_are_known(code, born, name):
    value = full(code + born + "001")
    assert verdict(value) == (True, [])
    if name:
        assert region_table().names[code] == name


def test_history_still_retires_codes():
    # 普兰店市 kept 219008 until the 1995 revision: someone born in 2000 cannot carry it.
    assert "REGION_RETIRED" in verdict(full("21900820000101001"))[1]
    # stdnum's own history is kept: 崇文区 (110103) retired in 2010.
    assert int(region_table().last_year[110103]) == 2010
    assert int(region_table().last_year[330113]) == IN_USE


def test_region_table_is_cached_per_version_and_a_broken_cache_is_rebuilt(tmp_path, monkeypatch):
    from yibao.ids import regions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = regions._build()

    def fresh() -> regions.RegionTable:
        regions.region_table.cache_clear()
        return regions.region_table()

    try:
        first = fresh()
        (path,) = (tmp_path / "yibao").glob("regions-*.npz")
        again = fresh()  # read back from the file
        path.write_bytes(b"not an npz")
        repaired = fresh()
        for table in (first, again, repaired):
            assert (table.last_year == built.last_year).all() and table.names == built.names
            assert not table.last_year.flags.writeable
        assert path.read_bytes()[:2] == b"PK"  # rewritten
    finally:
        regions.region_table.cache_clear()
