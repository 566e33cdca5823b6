"""Which people a resent roster touches: content per person key, not row positions; households too when
newborns inherit their family's statuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from yibao import policy
from yibao.stages import correction

XIPING = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "xiping-2025.yaml"


def roster(rows):
    return pd.DataFrame(rows, columns=["key", "status", "name", "_file", "_row"])


def test_changed_keys_follow_content_not_row_numbers():
    before = roster([(1, "低保对象", "甲", "a.xlsx", 1), (2, "特困人员", "乙", "a.xlsx", 2),
                     (3, "低保对象", "丙", "a.xlsx", 3), (4, "孤儿", "丁", "a.xlsx", 4)])
    # 1 removed (rows move up), 3 changes category, 5 added, 2 and 4 only move and the file is renamed
    after = roster([(2, "特困人员", "乙", "b.xlsx", 1), (3, "特困人员", "丙", "b.xlsx", 2),
                    (4, "孤儿", "丁", "b.xlsx", 3), (5, "低保对象", "戊", "b.xlsx", 4)])
    assert correction.changed_keys(before, after).tolist() == [1, 3, 5]
    assert correction.changed_keys(before, before.iloc[::-1]).tolist() == []
    assert correction.changed_keys(before, pd.concat([before, before.iloc[:1]])).tolist() == [1]  # a duplicate row
    assert correction.changed_keys(before.iloc[:0], after).tolist() == [2, 3, 4, 5]  # the feed's first roster
    assert correction.changed_keys(before, after.assign(grade="一级")).tolist() == [1, 2, 3, 4, 5]  # a new column
    missing = after.assign(name=pd.Series([None, "丙", "丁", "戊"], dtype="str"))
    assert correction.changed_keys(missing, missing.iloc[::-1]).tolist() == []  # blanks are alike
    assert correction.changed_keys(missing, after).tolist() == [2]


def test_a_change_reaches_the_household_when_newborns_inherit():
    rules = policy.load(XIPING)
    assert rules.newborn and rules.newborn.inherit_statuses
    people = pa.table({"key": [1, 2, 3, 4], "household_id": ["h1", "h1", "h2", None]})
    changed = pd.DataFrame({"key": [1, 4], "household_id": ["h1", None]})
    assert sorted(correction._with_households(people, rules, changed)["key"]) == [1, 2, 4]
    wenxi = policy.load("wenxi-2024")
    assert not (wenxi.newborn and wenxi.newborn.inherit_statuses)
    assert sorted(correction._with_households(people, wenxi, changed)["key"]) == [1, 4]


@pytest.mark.parametrize("runs_limit", [1_000, 0], ids=["cut around the runs", "one gather"])
def test_patch_replaces_rows_in_place_whatever_the_way(monkeypatch, runs_limit):
    monkeypatch.setattr(correction, "PATCH_RUNS", runs_limit)
    old = pa.Table.from_pandas(pd.DataFrame({
        "key": np.arange(10, 20), "name": [f"人{i}" for i in range(10)],
        "category": pd.Categorical(["低保", "特困", ""] * 3 + ["低保"]), "fen": np.arange(10) * 100,
    }), preserve_index=False)
    # rows 0, 1 and 2 adjacent (one run), 5 and 9 (the last row) alone; given out of order; a new category
    new = pd.DataFrame({"key": [15, 10, 19, 11, 12], "name": ["新5", "新0", "新9", "新1", "新2"],
                        "category": ["孤儿", "低保", "特困", "", "孤儿"], "fen": [5, 0, 9, 1, 2]})
    patched = correction._patch(old, new)
    expected = old.to_pandas().astype({"category": "str"}).set_index("key")
    expected.update(new.set_index("key"))
    got = patched.to_pandas()
    assert patched.schema.metadata == old.schema.metadata and patched.num_rows == old.num_rows
    assert got["key"].tolist() == list(range(10, 20))
    assert got[["name", "category", "fen"]].astype({"category": "str", "fen": "int64"}).values.tolist() == (
        expected[["name", "category", "fen"]].astype({"fen": "int64"}).values.tolist())
    assert correction._patch(old, new.iloc[0:0]) is old
    assert patched is not old
    # the same content given again (out of order, categories as text): nothing moved, the caller keeps its file
    same = old.to_pandas().astype({"category": "str"}).iloc[[7, 2, 3]]
    assert correction._patch(old, same) is old
    assert correction._patch(old, same.assign(fen=[700, 200, 301])) is not old
    with pytest.raises(RuntimeError, match="不一致"):
        correction._patch(old, pd.DataFrame({"key": [99], "name": ["x"], "category": ["低保"], "fen": [1]}))
    with pytest.raises(RuntimeError, match="不一致"):  # one person given twice
        correction._patch(old, pd.concat([new, new.iloc[:1]], ignore_index=True))
