"""Correction suggestions: one typo away from exactly one same-name register person."""

from __future__ import annotations

import numpy as np
import pandas as pd
from stdnum.cn.ric import calc_check_digit

from yibao.ids import suggest_corrections, to_key


def make(body: str) -> str:
    return body + calc_check_digit(body + "0")


ZHANG = make("37048119800101123")
LI = make("37048119900505202")
REGISTER = pd.DataFrame(
    {
        "id_number": [ZHANG, LI],
        "name": ["张三", "李四"],
        "town": ["龙阳镇", "界河镇"],
        "village": ["东村", "西村"],
    }
)


def substitute(value: str, position: int) -> str:
    for digit in "0123456789":
        if digit != value[position]:
            return value[:position] + digit + value[position + 1 :]
    raise AssertionError


def swap(value: str, position: int) -> str:
    assert value[position] != value[position + 1]
    return value[:position] + value[position + 1] + value[position] + value[position + 2 :]


def suggest(rows: list[dict], register: pd.DataFrame = REGISTER) -> list[list]:
    return suggest_corrections(pd.DataFrame(rows), register).values.tolist()


def test_substitution_anywhere_is_found():
    for position in range(18):
        typo = substitute(ZHANG, position)
        assert suggest([{"id_number": typo, "name": "张三"}]) == [[ZHANG, 1, "substitution"]], position


def test_adjacent_swaps_are_found():
    for position in (10, 14):
        typo = swap(ZHANG, position)
        assert suggest([{"id_number": typo, "name": "张三"}]) == [[ZHANG, 1, "transposition"]]


def test_name_must_match():
    assert suggest([{"id_number": substitute(ZHANG, 3), "name": "张山"}]) == [[pd.NA, 0, pd.NA]]


def test_town_and_village_must_match_when_given():
    typo = substitute(LI, 12)
    assert suggest([{"id_number": typo, "name": "李四", "town": "龙阳镇", "village": None}]) == [
        [pd.NA, 0, pd.NA]
    ]
    assert suggest([{"id_number": typo, "name": "李四", "town": "界河镇", "village": ""}]) == [
        [LI, 1, "substitution"]
    ]
    assert suggest([{"id_number": typo, "name": "李四", "town": None, "village": "西村"}]) == [
        [LI, 1, "substitution"]
    ]


def valid_substitutions(written: str) -> list[str]:
    """Every valid ID one substituted character away from ``written`` (by brute force, stdnum's check)."""
    out = []
    for position in range(18):
        for char in "0123456789X" if position == 17 else "0123456789":
            candidate = written[:position] + char + written[position + 1 :]
            if candidate != written and calc_check_digit(candidate[:17] + "0") == candidate[17]:
                out.append(candidate)
    return out


def test_ambiguous_same_name_neighbours_get_no_suggestion():
    written = substitute(ZHANG, 9)
    first, second = valid_substitutions(written)[:2]
    register = pd.DataFrame(
        {
            "id_number": [first, second, LI],
            "name": ["王五", "王五", "李四"],
            "town": "龙阳镇",
            "village": "东村",
        }
    )
    result = suggest([{"id_number": written, "name": "王五"}], register)
    assert result == [[pd.NA, 2, pd.NA]]
    assert suggest([{"id_number": written, "name": "王五"}], register.iloc[[1, 2]]) == [
        [second, 1, "substitution"]
    ]


def test_unusable_and_valid_inputs_get_nothing():
    rows = [
        {"id_number": "3.70481E+17", "name": "张三"},
        {"id_number": "", "name": "张三"},
        {"id_number": "garbage", "name": "张三"},
        {"id_number": ZHANG, "name": "张三"},  # valid: no valid ID is one typo from another
    ]
    assert suggest(rows) == [[pd.NA, 0, pd.NA]] * 4


def test_index_is_kept():
    bad = pd.DataFrame({"id_number": [substitute(LI, 2)], "name": ["李四"]}, index=["r7"])
    result = suggest_corrections(bad, REGISTER)
    assert result.index.tolist() == ["r7"]
    assert result.columns.tolist() == ["suggested_id", "candidates", "suggestion_rule"]


def test_keys_given_by_the_caller_match_as_the_ids_do_and_minus_one_is_never_suggested():
    bad = pd.DataFrame({"id_number": [substitute(ZHANG, 16), substitute(LI, 3)], "name": ["张三", "李四"]})
    keys = to_key(REGISTER["id_number"])
    assert suggest_corrections(bad, REGISTER, keys).equals(suggest_corrections(bad, REGISTER))
    only_li = suggest_corrections(bad, REGISTER, np.where(REGISTER["name"] == "李四", keys, -1))
    assert only_li["suggested_id"].tolist() == [pd.NA, LI]
