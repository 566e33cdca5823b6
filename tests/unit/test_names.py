"""One person's name as departments type it: never a reason to refuse them, while another name still is."""

from __future__ import annotations

import pandas as pd

from yibao.identities import cross_check
from yibao.names import differ

REGISTER = ["张三", "阿卜杜·热合曼", "LI MING", "李四", "王芳"]
TYPED = ["张  三", "阿卜杜•热合曼", "ｌｉ　ｍｉｎｇ", "李五", "王 芳"]


def test_the_same_name_typed_otherwise_is_the_same_and_another_name_is_not():
    assert differ(pd.Series(REGISTER), pd.Series(TYPED)).tolist() == [False, False, False, True, False]
    assert differ(pd.Series(["阿卜杜.热合曼", "张三"]), pd.Series(["阿卜杜热合曼", None])).tolist() == [True, True]


def test_a_roster_name_typed_otherwise_is_no_name_mismatch():
    persons = pd.DataFrame({"key": [1, 2, 3, 4, 5], "name": REGISTER, "deceased": False, "moved_out": False,
                            "status_date": pd.Series([pd.NaT] * 5, dtype="datetime64[us]")})
    roster = pd.DataFrame({"key": [1, 2, 3, 4, 5], "name": TYPED, "status": "dibao", "source": "民政"})
    memberships, rejected = cross_check(persons, roster)
    assert sorted(memberships["key"]) == [1, 2, 3, 5]
    assert rejected["key"].tolist() == [4] and rejected["reason_codes"].tolist() == ["NAME_MISMATCH"]
