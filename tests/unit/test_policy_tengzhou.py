"""滕州市 2024 (滕政办发〔2023〕33号): 资助 and 代缴 clauses, age bands, split funds, several identities."""

import datetime as dt

import pandas as pd
import pytest

from yibao.policy import decide, load

POLICY = load("tengzhou-2024")
DOC = "滕政办发〔2023〕33号"


def decide_one(statuses, birth="1990-06-15", grade=None):
    persons = pd.DataFrame({"key": [7], "birth_date": pd.to_datetime([birth]),
                            "disability_grade": pd.array([grade], dtype="Int64")})
    memberships = pd.DataFrame({"key": pd.Series([7] * len(statuses), dtype="int64"), "status": statuses})
    return decide(POLICY, persons, memberships).iloc[0]


# (name, statuses, birth date, disability grade, category, {fund: fen}, personal fen, section, others)
CASES = [
    # 二（二）“对特困人员、低保对象、返贫致贫人口、低保边缘家庭成员及防止返贫监测帮扶对象等…由市财政通过医疗救助资金给予全额资助”
    ("特困", ["特困人员"], "1990-06-15", None, "特困人员", {"medical_assistance": 38000}, 0, "二（二）", ""),
    ("低保", ["低保对象"], "1990-06-15", None, "低保对象", {"medical_assistance": 38000}, 0, "二（二）", ""),
    ("返贫致贫", ["返贫致贫人口"], "1990-06-15", None, "返贫致贫人口", {"medical_assistance": 38000}, 0, "二（二）", ""),
    ("低保边缘", ["低保边缘家庭成员"], "1990-06-15", None, "低保边缘家庭成员", {"medical_assistance": 38000}, 0,
     "二（二）", ""),
    ("监测", ["防止返贫监测帮扶对象"], "1990-06-15", None, "防止返贫监测帮扶对象", {"medical_assistance": 38000}, 0,
     "二（二）", ""),
    # 二（三）1 “孤儿、事实无人抚养儿童、重点困境儿童等，个人缴费部分由市财政全额承担”
    ("孤儿 代缴", ["孤儿"], "2015-03-01", None, "孤儿、事实无人抚养儿童、重点困境儿童", {"city_budget": 38000}, 0,
     "二（三）1", ""),
    ("重点困境儿童", ["重点困境儿童"], "2015-03-01", None, "孤儿、事实无人抚养儿童、重点困境儿童",
     {"city_budget": 38000}, 0, "二（三）1", ""),
    # 二（三）2 “60岁（含60岁）-69岁老年人，个人缴费部分由市财政承担50%”: 190 / 190, age on 2024-01-01
    ("60岁整", [], "1964-01-01", None, "60至69岁老年人", {"city_budget": 19000}, 19000, "二（三）2", ""),
    ("59岁 差一天", [], "1964-01-02", None, None, {}, 38000, "", ""),
    ("69岁", [], "1954-01-02", None, "60至69岁老年人", {"city_budget": 19000}, 19000, "二（三）2", ""),
    # “70岁（含70岁）以上老年人，个人缴费部分由市财政全额承担”
    ("70岁整", [], "1954-01-01", None, "70岁以上老年人", {"city_budget": 38000}, 0, "二（三）2", ""),
    ("出生日期不详", [], None, None, None, {}, 38000, "", ""),
    # 二（三）3 “农村一女、双女、独生子女伤亡病残家庭孩子及其父母，个人缴费部分由市、镇街财政各承担50%”
    ("计生", ["计生优待家庭成员"], "1980-01-01", None, "计生优待家庭成员",
     {"city_budget": 19000, "town_budget": 19000}, 0, "二（三）3", ""),
    # 二（三）4 “重度残疾人，个人缴费部分由市财政全额承担” (重度 = 一级、二级)
    ("残疾 二级", ["残疾人"], "1980-01-01", 2, "重度残疾人", {"city_budget": 38000}, 0, "二（三）4", ""),
    ("残疾 三级 不符合", ["残疾人"], "1980-01-01", 3, None, {}, 38000, "", ""),
    ("残疾 等级不详", ["残疾人"], "1980-01-01", None, None, {}, 38000, "", ""),
    # 二（三）5 “抚恤定补优抚对象，个人缴费部分由市财政全额承担”
    ("抚恤定补", ["抚恤定补优抚对象"], "1980-01-01", None, "抚恤定补优抚对象", {"city_budget": 38000}, 0,
     "二（三）5", ""),
    # “符合多个代缴政策的，按最高代缴标准认定，不得重复享受”
    ("65岁+重度残疾 按最高", ["残疾人"], "1958-05-05", 1, "重度残疾人", {"city_budget": 38000}, 0, "二（三）4",
     "60至69岁老年人"),
    ("72岁+计生 并列按优先级", ["计生优待家庭成员"], "1951-05-05", None, "70岁以上老年人", {"city_budget": 38000}, 0,
     "二（三）2", "计生优待家庭成员"),
    # 资助 and 代缴 together (notice silent): highest, 资助 first on a tie → medical-assistance fund pays.
    ("低保+65岁", ["低保对象"], "1958-05-05", None, "低保对象", {"medical_assistance": 38000}, 0, "二（二）",
     "60至69岁老年人"),
    ("特困+孤儿", ["孤儿", "特困人员"], "2010-05-05", None, "特困人员", {"medical_assistance": 38000}, 0, "二（二）",
     "孤儿、事实无人抚养儿童、重点困境儿童"),
]


@pytest.mark.parametrize("name,statuses,birth,grade,category,funds,personal,section,others", CASES,
                         ids=[c[0] for c in CASES])
def test_clause(name, statuses, birth, grade, category, funds, personal, section, others):
    d = decide_one(statuses, birth, grade)
    assert (None if pd.isna(d["category"]) else d["category"]) == category
    got = {f: int(d[f"fund_{f}_fen"]) for f in POLICY.funds if d[f"fund_{f}_fen"]}
    assert got == funds
    assert d["subsidy_fen"] == sum(funds.values()) == 38000 - personal
    assert d["personal_fen"] == personal
    assert d["basis"] == (f"{DOC} {section}" if section else "")
    assert d["others"] == others


def test_age_date_is_the_benefit_start_whatever_the_run_date():
    # Born 1964-03-01: 59 on 2024-01-01 (the benefit start), though 60 by a run in 2024-06.
    persons = pd.DataFrame({"key": [1], "birth_date": pd.to_datetime(["1964-03-01"])})
    none = pd.DataFrame({"key": pd.Series([], dtype="int64"), "status": pd.Series([], dtype="str")})
    assert decide(POLICY, persons, none, as_of=dt.date(2024, 6, 1)).iloc[0]["subsidy_fen"] == 0


def test_timing():
    # 二（四）“2023年10月1日－12月31日为我市2024年度居民医保集中缴费期”；“2024年1月1日后缴费的，设置30日的待遇享受等待期”
    assert POLICY.collection_window == (dt.date(2023, 10, 1), dt.date(2023, 12, 31))
    assert POLICY.late_payment.waiting.days == 30
    assert POLICY.late_payment.waiting.ends(pd.Series(pd.to_datetime(["2024-01-10"]))).dt.date.tolist() == [
        dt.date(2024, 2, 9)]
    assert POLICY.newborn is None and POLICY.refund is None and POLICY.no_waiting is None
