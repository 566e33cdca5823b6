"""闻喜县 2024 (闻政办发〔2023〕29号): each clause of 二, with what the person ends up paying."""

import datetime as dt

import pandas as pd
import pytest

from yibao.policy import decide, load

POLICY = load("wenxi-2024")
DOC = "闻政办发〔2023〕29号"


def decide_one(statuses, birth="1990-06-15"):
    persons = pd.DataFrame({"key": [7], "birth_date": pd.to_datetime([birth])})
    memberships = pd.DataFrame({"key": pd.Series([7] * len(statuses), dtype="int64"), "status": statuses})
    return decide(POLICY, persons, memberships).iloc[0]


# (name, statuses, birth, category, subsidy fen, personal fen, section, others)
CASES = [
    # 二（二）“特困人员（含孤儿和事实无人抚养儿童下同）不缴费，由医疗救助资金全额资助”
    ("特困", ["特困人员"], "1990-06-15", "特困人员", 38000, 0, "二（二）", ""),
    ("孤儿", ["孤儿"], "2012-06-15", "特困人员", 38000, 0, "二（二）", ""),
    ("事实无人抚养", ["事实无人抚养儿童"], "2012-06-15", "特困人员", 38000, 0, "二（二）", ""),
    # 二（三）“返贫致贫人口按个人缴费标准90%的比例给予定额资助，个人缴纳38元”: 380 × 90% = 342
    ("返贫致贫 38", ["返贫致贫人口"], "1990-06-15", "返贫致贫人口", 34200, 3800, "二（三）", ""),
    # 二（四）“易返贫致贫人口（包括脱贫不稳定人口和边缘易致贫人口，不含已纳入低保、特困供养范围人员）…280元…个人缴纳100元”
    ("脱贫不稳定 100", ["脱贫不稳定人口"], "1990-06-15", "易返贫致贫人口", 28000, 10000, "二（四）", ""),
    ("边缘易致贫 100", ["边缘易致贫人口"], "1990-06-15", "易返贫致贫人口", 28000, 10000, "二（四）", ""),
    ("易返贫 已纳入低保 按低保", ["边缘易致贫人口", "低保对象"], "1990-06-15", "低保对象", 30400, 7600, "二（六）", ""),
    ("易返贫 已纳入特困 按特困", ["脱贫不稳定人口", "特困人员"], "1990-06-15", "特困人员", 38000, 0, "二（二）", ""),
    # 二（五）“突发严重困难人口…按每人每年280元的标准定额资助，个人缴纳100元”
    ("突发严重困难 100", ["突发严重困难人口"], "1990-06-15", "突发严重困难人口", 28000, 10000, "二（五）", ""),
    # 二（六）“低保对象按个人缴费标准80%的比例给予定额资助，个人缴纳76元”: 380 × 80% = 304
    ("低保 76", ["低保对象"], "1990-06-15", "低保对象", 30400, 7600, "二（六）", ""),
    # 二（七）“丧失劳动能力的残疾人…由医疗救助资金给予50%补贴，个人缴纳190元”
    ("丧失劳动能力残疾人 190", ["丧失劳动能力的残疾人"], "1990-06-15", "丧失劳动能力的残疾人", 19000, 19000,
     "二（七）", ""),
    ("残疾人 未丧失劳动能力", ["残疾人"], "1990-06-15", None, 0, 38000, "", ""),
    # 二（八）“低收入家庭六十周岁以上的老年人和未成年人…由医疗救助资金给予50%补贴，个人缴纳190元” (age on 2024-01-01)
    ("低收入 60岁整", ["低收入家庭成员"], "1964-01-01", "低收入家庭老年人和未成年人", 19000, 19000, "二（八）", ""),
    ("低收入 17岁", ["低收入家庭成员"], "2006-01-02", "低收入家庭老年人和未成年人", 19000, 19000, "二（八）", ""),
    ("低收入 18岁整 不符合", ["低收入家庭成员"], "2006-01-01", None, 0, 38000, "", ""),
    ("低收入 45岁 不符合", ["低收入家庭成员"], "1978-06-01", None, 0, 38000, "", ""),
    # Several identities (notice silent): the highest subsidy; ties by priority.
    ("多重 返贫致贫+低保", ["低保对象", "返贫致贫人口"], "1990-06-15", "返贫致贫人口", 34200, 3800, "二（三）",
     "低保对象"),
    ("多重 易返贫+突发 并列", ["突发严重困难人口", "脱贫不稳定人口"], "1990-06-15", "易返贫致贫人口", 28000, 10000,
     "二（四）", "突发严重困难人口"),
    ("多重 残疾+低收入老人 并列", ["低收入家庭成员", "丧失劳动能力的残疾人"], "1950-06-15", "丧失劳动能力的残疾人",
     19000, 19000, "二（七）", "低收入家庭老年人和未成年人"),
]


@pytest.mark.parametrize("name,statuses,birth,category,subsidy,personal,section,others", CASES,
                         ids=[c[0] for c in CASES])
def test_clause(name, statuses, birth, category, subsidy, personal, section, others):
    d = decide_one(statuses, birth)
    assert (None if pd.isna(d["category"]) else d["category"]) == category
    # 二（九）“上述…定额资助所需资助资金由医疗救助资金负担”
    assert (d["subsidy_fen"], d["personal_fen"], d["fund_medical_assistance_fen"]) == (subsidy, personal, subsidy)
    assert d["basis"] == (f"{DOC} {section}" if section else "")
    assert d["others"] == others


def test_timing():
    # 三 “2023年9月1日至12月25日办理缴费业务”
    assert POLICY.collection_window == (dt.date(2023, 9, 1), dt.date(2023, 12, 25))
    # 五（二）“可按当年个人缴费和财政补助标准由个人全额缴纳，从缴费之日起满三个月后方可享受”: 380 + 640 = 1020
    late = POLICY.late_payment
    assert (late.amount_fen, late.waiting.months, late.pays) == (102000, 3, "personal_and_fiscal")
    assert POLICY.newborn is None and POLICY.refund is None
