"""Engine contract: one row per person in order, funds reconcile, memberships are forgiving, labels resolve."""

import numpy as np
import pandas as pd

from yibao.policy import decide, load, resolve_labels, split_labels

TENGZHOU = load("tengzhou-2024")


def test_one_row_per_person_in_order_and_totals_reconcile():
    persons = pd.DataFrame({
        "key": np.array([50, 10, 40, 20, 30], dtype="int64"),
        "birth_date": pd.to_datetime(["1950-01-01", "1990-01-01", None, "1960-06-01", "1985-01-01"]),
        "disability_grade": pd.array([None, 1, None, None, None], dtype="Int64"),
    })
    memberships = pd.DataFrame({
        "key": [10, 10, 10, 20, 30, 999, 40],  # duplicates and an unknown key (999) are harmless
        "status": ["残疾人", "残疾人", "计生优待家庭成员", "计生优待家庭成员", "低保对象", "特困人员", "优抚对象"],
        "source": ["canlian"] * 7,
    }, index=[5, 4, 3, 2, 1, 0, 9])
    d = decide(TENGZHOU, persons, memberships)
    assert d["key"].tolist() == [50, 10, 40, 20, 30]
    assert d.index.tolist() == persons.index.tolist()
    # key 10: 计生 (priority 8) and 重度残疾 (priority 9) both pay 380 in full → 计生 wins the tie.
    assert d["category"].tolist()[:2] == ["70岁以上老年人", "计生优待家庭成员"]
    assert pd.isna(d["category"].iloc[2]) and pd.isna(d["clause"].iloc[2])  # 优抚对象 has no 滕州 clause
    assert d["category"].tolist()[3:] == ["计生优待家庭成员", "低保对象"]
    funds = [f"fund_{f}_fen" for f in TENGZHOU.funds]
    assert (d[funds].sum(axis=1) == d["subsidy_fen"]).all()
    assert (d["subsidy_fen"] + d["personal_fen"] == 38000).all()
    assert d["others"].tolist() == ["", "重度残疾人", "", "60至69岁老年人", ""]
    assert d["basis"].iloc[2] == ""
    assert [str(t) for t in d[["subsidy_fen", "personal_fen", *funds]].dtypes] == ["int64"] * 5


def test_age_only_rules_apply_without_memberships_and_without_attribute_columns():
    persons = pd.DataFrame({"key": [1, 2], "birth_date": pd.to_datetime(["1955-07-01", "1990-01-01"])})
    empty = pd.DataFrame({"key": pd.Series([], dtype="int64"), "status": pd.Series([], dtype="str")})
    d = decide(TENGZHOU, persons, empty)
    assert d["clause"].tolist()[0] == "laonian_60" and d["subsidy_fen"].tolist() == [19000, 0]


def test_resolve_labels_uses_the_vocabulary_and_the_rule_file_aliases():
    labels = pd.Series(["农村特困供养人员", "一女户", "重点优抚对象", "某某人员", None])
    assert resolve_labels(TENGZHOU, labels).tolist() == ["特困人员", "计生优待家庭成员", "优抚对象", pd.NA, pd.NA]
    # 一女户 is 滕州's own alias, not in the shared vocabulary.
    assert pd.isna(resolve_labels(load("wenxi-2024"), labels).iloc[1])


def test_split_labels_keeps_the_row_index():
    parts = split_labels(pd.Series(["低保对象、残疾人", "", "孤儿"], index=[7, 8, 9]))
    assert parts.index.tolist() == [7, 7, 9]
