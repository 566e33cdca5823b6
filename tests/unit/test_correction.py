"""Which people a resent roster touches: content per person key, not row positions; households too when
newborns inherit their family's statuses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

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


def test_a_change_reaches_the_household_when_newborns_inherit():
    rules = policy.load(XIPING)
    assert rules.newborn and rules.newborn.inherit_statuses
    people = pa.table({"key": [1, 2, 3, 4], "household_id": ["h1", "h1", "h2", None]})
    changed = pd.DataFrame({"key": [1, 4], "household_id": ["h1", None]})
    assert sorted(correction._with_households(people, rules, changed)["key"]) == [1, 2, 4]
    wenxi = policy.load("wenxi-2024")
    assert not (wenxi.newborn and wenxi.newborn.inherit_statuses)
    assert sorted(correction._with_households(people, wenxi, changed)["key"]) == [1, 4]
