"""定陶区 2024 (菏定政办字〔2023〕15号): each clause, with amounts computed by hand from 380 yuan."""

import datetime as dt

import pandas as pd
import pytest

from yibao.policy import decide, load

POLICY = load("dingtao-2024")
FIXED = "菏定政办字〔2023〕15号 五（二）"


def decide_one(statuses, birth="1990-06-15"):
    persons = pd.DataFrame({"key": [7], "birth_date": pd.to_datetime([birth])})
    memberships = pd.DataFrame({"key": pd.Series([7] * len(statuses), dtype="int64"), "status": statuses})
    return decide(POLICY, persons, memberships).iloc[0]


# (name, statuses held, category, subsidy fen, personal fen, basis, identities that lost)
CASES = [
    # 五（一）“对特困人员（含孤儿和事实无人抚养儿童）个人缴费给予全额资助”
    ("特困 全额", ["特困人员"], "特困人员", 38000, 0, "菏定政办字〔2023〕15号 五（一）", ""),
    ("孤儿 计入特困", ["孤儿"], "特困人员", 38000, 0, "菏定政办字〔2023〕15号 五（一）", ""),
    ("事实无人抚养 计入特困", ["事实无人抚养儿童"], "特困人员", 38000, 0, "菏定政办字〔2023〕15号 五（一）", ""),
    # 五（二）“对低保对象、返贫致贫人口、低保边缘家庭成员及防止返贫监测帮扶对象等，给予个人缴费部分114元的定额资助”
    ("低保 114", ["低保对象"], "低保对象", 11400, 26600, FIXED, ""),
    ("返贫致贫 114", ["返贫致贫人口"], "返贫致贫人口", 11400, 26600, FIXED, ""),
    ("低保边缘 114", ["低保边缘家庭成员"], "低保边缘家庭成员", 11400, 26600, FIXED, ""),
    ("监测 114", ["防止返贫监测帮扶对象"], "防止返贫监测帮扶对象", 11400, 26600, FIXED, ""),
    # 五（三）“稳定脱贫人口不享受资助参保政策”
    ("稳定脱贫 不资助", ["稳定脱贫人口"], None, 0, 38000, "", ""),
    # 五（三）“被资助人员存在多重身份的，只能按一种身份享受资助参保（按资助标准高的身份享受）”
    ("多重 低保+孤儿", ["低保对象", "孤儿"], "特困人员", 38000, 0, "菏定政办字〔2023〕15号 五（一）", "低保对象"),
    ("多重 并列按优先级", ["防止返贫监测帮扶对象", "低保边缘家庭成员", "低保对象"], "低保对象", 11400, 26600, FIXED,
     "低保边缘家庭成员、防止返贫监测帮扶对象"),
    ("多重 孤儿+事实无人抚养 同一类别", ["孤儿", "事实无人抚养儿童"], "特困人员", 38000, 0,
     "菏定政办字〔2023〕15号 五（一）", ""),
    ("稳定脱贫+监测 按监测", ["稳定脱贫人口", "防止返贫监测帮扶对象"], "防止返贫监测帮扶对象", 11400, 26600, FIXED, ""),
]


@pytest.mark.parametrize("name,statuses,category,subsidy,personal,basis,others", CASES, ids=[c[0] for c in CASES])
def test_clause(name, statuses, category, subsidy, personal, basis, others):
    d = decide_one(statuses)
    assert (None if pd.isna(d["category"]) else d["category"]) == category
    # 五（三）“资助参保资金来源为医疗救助基金”
    assert (d["subsidy_fen"], d["personal_fen"], d["fund_medical_assistance_fen"]) == (subsidy, personal, subsidy)
    assert (d["basis"], d["others"]) == (basis, others)


def test_fixed_amount_does_not_follow_the_personal_part():
    # 114 yuan is written as an amount, not a percentage: the rule file keeps it an amount.
    assert next(c for c in POLICY.categories if c.id == "dibao").shape == "定额资助114.00元"


def test_contribution_and_timing():
    # 三（一）“筹资标准为每人1020元，其中个人缴费标准为每人380元，各级财政补助640元”
    assert (POLICY.personal_fen, POLICY.fiscal_fen, POLICY.total_fen) == (38000, 64000, 102000)
    # 三（二）“每年的9月1日至12月31日为…集中缴费期”
    assert POLICY.collection_window == (dt.date(2023, 9, 1), dt.date(2023, 12, 31))
    # 四（一）“次年1月1日（含1月1日）后缴费的，…缴纳个人缴费部分后，设置3个月的待遇享受等待期”
    late = POLICY.late_payment
    assert (late.waiting.months, late.amount_fen) == (3, 38000)
    assert late.waiting.ends(pd.Series(pd.to_datetime(["2024-01-15"]))).dt.date.tolist() == [dt.date(2024, 4, 15)]
    # 四（二）“6个月内…自出生之日起享受…；超过6个月的，自缴费的次月起享受”
    assert (POLICY.newborn.within_months, POLICY.newborn.after) == (6, "month_after_payment")
    assert POLICY.no_waiting is None and POLICY.refund is None
    assert POLICY.ineligible[0].statuses == ("稳定脱贫人口",)
