"""巨野县 2024 (巨政办发〔2023〕16号): each clause, with amounts computed by hand from 380 yuan."""

import datetime as dt

import pandas as pd
import pytest

from yibao.policy import decide, load

POLICY = load("juye-2024")


def decide_one(statuses, birth="1990-06-15"):
    persons = pd.DataFrame({"key": [7], "birth_date": pd.to_datetime([birth])})
    memberships = pd.DataFrame({"key": pd.Series([7] * len(statuses), dtype="int64"), "status": statuses})
    return decide(POLICY, persons, memberships).iloc[0]


# (clause quoted, statuses held, category, subsidy fen, personal fen, identities that lost)
CASES = [
    # 一（二）“对特困人员、孤儿个人缴费部分给予380元的全额资助”
    ("特困 全额", ["特困人员"], "特困人员", 38000, 0, ""),
    ("孤儿 全额", ["孤儿"], "孤儿", 38000, 0, ""),
    # 一（二）“对低保对象、防止返贫监测帮扶对象等给予个人缴费部分30%的定额资助”: 380 × 30% = 114, pays 266
    ("低保 30%", ["低保对象"], "低保对象", 11400, 26600, ""),
    ("监测 30%", ["防止返贫监测帮扶对象"], "防止返贫监测帮扶对象", 11400, 26600, ""),
    # Not named by the notice: no subsidy (事实无人抚养儿童 is not counted with 特困 here, unlike 定陶/闻喜).
    ("事实无人抚养 不在范围", ["事实无人抚养儿童"], None, 0, 38000, ""),
    ("普通居民", [], None, 0, 38000, ""),
    # Several identities: one only, the highest; equal amounts resolve by priority (特困 before 孤儿).
    ("多重 特困+低保", ["低保对象", "特困人员"], "特困人员", 38000, 0, "低保对象"),
    ("多重 特困+孤儿 并列", ["孤儿", "特困人员"], "特困人员", 38000, 0, "孤儿"),
    ("多重 低保+监测 并列", ["防止返贫监测帮扶对象", "低保对象"], "低保对象", 11400, 26600, "防止返贫监测帮扶对象"),
]


@pytest.mark.parametrize("name,statuses,category,subsidy,personal,others", CASES, ids=[c[0] for c in CASES])
def test_clause(name, statuses, category, subsidy, personal, others):
    d = decide_one(statuses)
    assert (None if pd.isna(d["category"]) else d["category"]) == category
    assert (d["subsidy_fen"], d["personal_fen"], d["fund_medical_assistance_fen"]) == (subsidy, personal, subsidy)
    assert d["others"] == others
    assert d["basis"] == ("巨政办发〔2023〕16号 一（二）" if category else "")


def test_contribution_and_funds():
    # 一（二）“个人缴费标准为每人380元”；三（三）医保局申请医疗救助资金拨付 for the assisted groups
    assert (POLICY.personal_fen, POLICY.fiscal_fen) == (38000, 64000)
    assert POLICY.funds == {"medical_assistance": "医疗救助资金"}


def test_timing_rules():
    # 一（三）“2024年度集中缴费期为2023年9月1日至12月31日”
    assert POLICY.collection_window == (dt.date(2023, 9, 1), dt.date(2023, 12, 31))
    # 一（四）“补缴设有医疗待遇享受等待期” — no length given: unknown, not invented.
    late = POLICY.late_payment
    assert not late.waiting.known and late.waiting.text == "通知未载明时长"
    assert late.waiting.ends(pd.Series(pd.to_datetime(["2024-02-01"]))).isna().all()
    # “普通居民在集中征缴期结束后缴费的，缴纳个人部分”
    assert late.amount_fen == 38000
    # “新生儿出生6个月以内…自出生之日起享受…；出生超过6个月的，按照普通居民…执行”
    assert (POLICY.newborn.within_months, POLICY.newborn.covered_from, POLICY.newborn.after) == (6, "birth", "ordinary")
    born = pd.Series(pd.to_datetime(["2024-02-10", "2024-02-10"]))
    assert POLICY.newborn.in_time(born, pd.Series(pd.to_datetime(["2024-08-10", "2024-08-11"]))).tolist() == [True, False]
    # “对特困人员、孤儿、低保对象、防止返贫监测帮扶对象…不设置待遇享受等待期”
    assert set(POLICY.no_waiting.statuses) == {"特困人员", "孤儿", "低保对象", "防止返贫监测帮扶对象"}
    # 二 “待遇享受期（参保年度的1月1日）开始前…死亡的；…参加职工医疗保险的；…统筹区外参加基本医疗保险的”
    assert POLICY.refund.before == dt.date(2024, 1, 1)
    assert POLICY.refund.cases == ("death", "employee_insurance", "insured_elsewhere")
