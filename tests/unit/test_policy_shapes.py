"""Rule shapes real notices need (issue 10), shown by one plausible county's rules file
(tests/fixtures/rules/xiping-2025.yaml) with amounts computed by hand from its notice text
(tests/fixtures/rules/xiping-2025-notice.md, quoted per case)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from yibao.cli import main
from yibao.jurisdiction import RulesFileError
from yibao.policy import PolicyIncomplete, decide, label_attributes, load, resolve_labels
from yibao.sources import load_sources
from yibao.staging import stage

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "xiping-2025.yaml"
AS_OF = dt.date(2025, 3, 10)
ON_TIME, LATE = "2024-10-15", "2025-03-05"
# key: (statuses, grade, risk state, monitoring cause, hukou, certified on, paid on[, residence permit])
PEOPLE = {
    1: (["特困人员"], None, None, None, None, None, ON_TIME),
    2: (["低保对象", "残疾人"], 2, None, None, None, None, ON_TIME),
    3: (["低保对象", "残疾人"], 3, None, None, None, None, ON_TIME),
    4: (["防止返贫监测帮扶对象"], None, "未消除", "因病", None, "2024-06-01", ON_TIME),
    5: (["防止返贫监测帮扶对象"], None, "未消除", "因病", None, "2025-01-10", "2025-01-20"),
    6: (["防止返贫监测帮扶对象"], None, "已消除", "因病", None, "2024-06-01", ON_TIME),
    7: (["计生特殊家庭（失独）"], None, None, None, None, None, ON_TIME),
    8: (["计生特殊家庭（伤残）"], None, None, None, None, None, ON_TIME),
    9: (["重点困境儿童"], None, None, None, None, None, ON_TIME),
    10: (["低收入家庭成员"], None, None, None, "农业", None, ON_TIME),
    11: (["低收入家庭成员"], None, None, None, "非农业", None, ON_TIME),
    12: (["防止返贫监测帮扶对象"], None, "未消除", "因残", None, "2024-06-01", LATE),
    13: (["低保对象"], None, None, None, None, "2024-10-20", "2024-10-01"),
    14: ([], None, None, None, None, None, ON_TIME),
    15: (["低收入家庭成员"], None, None, None, "非农业", None, ON_TIME, "是"),
}


def frames(people: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = list(people)
    persons = pd.DataFrame({
        "key": keys,
        "birth_date": pd.to_datetime(["1980-01-01"] * len(keys)),
        "disability_grade": pd.array([p[1] for p in people.values()], dtype="Int64"),
        "risk_state": pd.array([p[2] for p in people.values()], dtype="string"),
        "monitoring_cause": pd.array([p[3] for p in people.values()], dtype="string"),
        "hukou_type": pd.array([p[4] for p in people.values()], dtype="string"),
        "paid_on": pd.to_datetime([p[6] for p in people.values()]),
        "residence_permit": pd.array([p[7] if len(p) > 7 else "否" for p in people.values()], dtype="string"),
    })  # fmt: skip
    rows = [(k, s, p[5]) for k, p in people.items() for s in p[0]]
    memberships = pd.DataFrame(rows, columns=["key", "status", "certified_on"])
    memberships["certified_on"] = pd.to_datetime(memberships["certified_on"])
    return persons, memberships


@pytest.fixture(scope="module")
def decided() -> pd.DataFrame:
    policy = load(RULES)
    return decide(policy, *frames(PEOPLE), AS_OF).set_index("key")


@pytest.mark.parametrize(("key", "clause", "subsidy", "ma", "county"), [
    # 二（一）“由医疗救助资金或财政资金全额资助”: 400, booked on 医疗救助资金 (县财政 the alternative).
    (1, "tekun", 40000, 40000, 0),
    # 二（二）“既是低保对象又是一、二级重度残疾人的…全额资助”: two statuses at once and grade 2 → 400.
    (2, "dibao_zhongcan", 40000, 0, 40000),
    # Grade 3: only 低保 “按70%给予资助，其中医疗救助资金每人资助200元，其余由县财政承担”: 280 = 200 + 80.
    (3, "dibao", 28000, 20000, 8000),
    # 二（三）“风险未消除且主要风险类型为因病…以2024年12月31日前认定的为准…资助300元”.
    (4, "jiance", 30000, 30000, 0),
    (5, None, 0, 0, 0),  # certified 2025-01-10: after the cut-off
    (6, None, 0, 0, 0),  # risk cleared (已消除)
    # 二（四）county-defined groups: 失独 full, 伤残 50% = 200.
    (7, "shidu", 40000, 0, 40000),
    (8, "shangcan", 20000, 0, 20000),
    # 二（五）先缴后补: full 400, marked paid_first.
    (9, "kunjing", 40000, 0, 40000),
    # 二（六）“农业户籍的低收入家庭成员…每人资助100元”; 非农业 gets nothing.
    (10, "dishouru_nongye", 10000, 0, 10000),
    (11, None, 0, 0, 0),
    # “持有本县居住证的低收入家庭成员参照执行”: 非农业 but holds a residence permit → 100.
    (15, "juzhu_dishouru", 10000, 0, 10000),
    # 三（二）“监测对象在集中缴费期后缴费的，不再享受资助”: paid 2025-03-05 > 2025-02-28.
    (12, None, 0, 0, 0),
    # 二（十）“缴费后新认定的，从次年起享受资助”: certified 10-20 after paying 10-01.
    (13, None, 0, 0, 0),
    (14, None, 0, 0, 0),
])  # fmt: skip
def test_hand_computed_amounts(decided, key, clause, subsidy, ma, county):
    row = decided.loc[key]
    assert (None if pd.isna(row["clause"]) else row["clause"]) == clause
    assert (row["subsidy_fen"], row["fund_medical_assistance_fen"], row["fund_county_budget_fen"]) == (
        subsidy, ma, county)
    # 一（二）补充医疗保险 20 元 is never subsidised; 一（一）二档 600: the same subsidy, 200 more to pay.
    assert row["personal_fen"] == 40000 - subsidy + 2000
    assert row["personal_tier2_fen"] == 60000 - subsidy + 2000


def test_paid_first_is_marked(decided):
    assert decided["paid_first"].to_dict() == {k: k == 9 for k in PEOPLE}


@pytest.mark.parametrize(("status", "words"), [
    ("高校大学生", "按省教育厅、省医保局有关文件执行"),  # 二（七）: set elsewhere
    ("优抚对象", "不低于个人缴费部分的50%"),  # 二（八）: only bounded
])
def test_open_amounts_are_refused_never_zero(status, words):
    persons, memberships = frames({**PEOPLE, 99: ([status], None, None, None, None, None, ON_TIME)})
    with pytest.raises(PolicyIncomplete) as info:
        decide(load(RULES), persons, memberships, AS_OF)
    assert words in str(info.value) and "有 1 人符合" in str(info.value)


def test_county_groups_and_labels():
    policy = load(RULES)
    labels = pd.Series(["失独家庭", "独生子女伤残家庭", "在校大学生", "农村低保", "低保重度残疾人"])
    assert resolve_labels(policy, labels).tolist() == [
        "计生特殊家庭（失独）", "计生特殊家庭（伤残）", "高校大学生", "低保对象", pd.NA]
    # A category with two statuses at once is not one label (it needs both lists).
    assert label_attributes(policy, labels).empty or label_attributes(policy, labels).isna().all().all()


def test_certified_by_needs_certification_dates():
    persons, memberships = frames(PEOPLE)
    with pytest.raises(Exception, match="认定时间"):
        decide(load(RULES), persons, memberships.drop(columns="certified_on"), AS_OF)


def test_group_may_not_shadow_a_standard_status(tmp_path):
    text = RULES.read_text(encoding="utf-8").replace("  高校大学生:\n", "  低保对象:\n", 1)
    text = text.replace("statuses: [高校大学生]", "statuses: [低保对象]")
    path = tmp_path / "bad-2025.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesFileError) as info:
        load(path)
    assert ("groups.低保对象", ) == (info.value.field, ) and "重名" in info.value.reason


def test_check_prints_every_shape(capsys):
    assert main(["policy", "check", str(RULES)]) == 0
    out = capsys.readouterr().out
    for words in ("缴费档次：二档 个人缴费 600.00 元（资助按一档计算）", "附加缴费：补充医疗保险 20.00 元，不在资助范围内",
                  "本县自定义群体：高校大学生", "医疗救助资金 400.00 元（或县级财政）", "先缴后补",
                  "资助标准待定：按省教育厅、省医保局有关文件执行（认定时将拒绝", "集中缴费期：2024-09-01 至 2025-02-28",
                  "等待期 缴费次月起享受待遇", "集中缴费期后缴费不享受资助：防止返贫监测帮扶对象",
                  "新生儿：出生 90日内", "随家庭享受特困人员、低保对象、低收入家庭成员身份", "同时为低保对象、残疾人；残疾等级为1、2", "2024-12-31前（含）认定"):
        assert words in out


def test_roster_columns_become_attributes_and_groups_pass_staging():
    """乡村振兴 roster: 风险是否消除 / 主要风险类型 / 认定时间 columns are typed; a county group label is
    accepted from any roster (it is not a standard status another department owns)."""
    policy = load(RULES)
    source = load_sources()["xiangcun_zongmingdan"]
    frame = pd.DataFrame({
        "id_number": ["411721198001010010", "411721198001010010"], "name": ["张三", "张三"],
        "town": ["权寨镇"] * 2, "village": ["一村"] * 2,
        "category": ["监测对象", "失独家庭"], "certified_on": ["2024-06-01", ""],
        "risk_state": ["风险未消除", ""], "monitoring_cause": ["因病", ""], "certified_place": ["", ""],
        "seq": ["1", "2"], "_file": ["x.xlsx"] * 2, "_row": [2, 3],
    })  # fmt: skip
    staged = stage(frame, source, as_of=AS_OF, home_region="411721",
                   resolve_labels=lambda s: resolve_labels(policy, s),
                   label_attributes=lambda s: label_attributes(policy, s))
    assert staged.rejected.empty
    rows = staged.rows.set_index("status")
    assert rows.at["防止返贫监测帮扶对象", "risk_state"] == "未消除"
    assert rows.at["防止返贫监测帮扶对象", "monitoring_cause"] == "因病"
    assert rows.at["防止返贫监测帮扶对象", "certified_on"] == pd.Timestamp("2024-06-01")
    assert "计生特殊家庭（失独）" in rows.index


def test_newborn_takes_the_family_status_within_90_days():
    # 三（三）“新生儿在出生后90日内…父母属于资助对象的，新生儿随父母享受资助”: 低保 household, baby born
    # 2025-01-20 (49 days before 2025-03-10) → 低保 70% = 280; a child born 2024-11-01 (129 days) does not.
    policy = load(RULES)
    persons = pd.DataFrame({"key": [1, 2, 3], "household_id": ["h1", "h1", "h1"],
                            "birth_date": pd.to_datetime(["1990-02-02", "2025-01-20", "2024-11-01"])})
    memberships = pd.DataFrame({"key": [1, 1], "status": ["低保对象", "残疾人"]})
    inherited = policy.newborn.inherited(persons, memberships, AS_OF)
    assert inherited.values.tolist() == [[2, "低保对象"]]  # 残疾人 is not a family status
    members = pd.concat([memberships, inherited]).assign(certified_on=pd.NaT)
    got = decide(policy, persons, members, AS_OF).set_index("key")
    assert got["subsidy_fen"].to_dict() == {1: 28000, 2: 28000, 3: 0}


def test_late_payers_benefits_start_the_month_after_paying():
    # 三（二）“集中缴费期后缴费的，自缴费次月起享受待遇”: paid 2025-03-05 → from 2025-04-01; 03-31 → 04-01.
    waiting = load(RULES).late_payment.waiting
    ends = waiting.ends(pd.Series(pd.to_datetime(["2025-03-05", "2025-03-31", "2025-12-01"])))
    assert ends.dt.date.astype(str).tolist() == ["2025-04-01", "2025-04-01", "2026-01-01"]


def test_decide_cli_reads_dates_and_person_facts(tmp_path, capsys):
    # The same shapes through `yibao policy decide`: 认定时间 / 缴费日期 / 风险状态 / 主要风险类型 / 持居住证 columns.
    csv = tmp_path / "p.csv"
    csv.write_text(
        "身份证号码,人员类别,认定时间,缴费日期,风险状态,主要风险类型,持居住证\n"
        "411721198001010010,监测对象,2024-06-01,2024-10-15,风险未消除,因病,否\n"
        "411721198001010029,监测对象,2025-01-10,2025-01-20,风险未消除,因病,否\n"
        "411721198001010037,低收入家庭成员,,2024-10-15,,,是\n", encoding="utf-8")
    assert main(["policy", "decide", "--policy", str(RULES), "--persons", str(csv), "--json",
                 "--as-of", "2025-03-10"]) == 0
    rows = [__import__("json").loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["category"], r["subsidy"], r["personal"]) for r in rows] == [
        ("风险未消除的因病因残监测对象", "300.00", "120.00"), (None, "0.00", "420.00"),
        ("持居住证的低收入家庭成员", "100.00", "320.00")]
