"""Rules-file loading: precise errors for mistakes, and next year's or another county's rules as data only."""

import copy
import datetime as dt

import pandas as pd
import pytest
import yaml

from yibao.jurisdiction import RulesFileError, read_rules_yaml
from yibao.policy import decide, load

_, WENXI = read_rules_yaml("wenxi-2024")


def write(tmp_path, data, name="test-2024.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def mutated(change):
    data = copy.deepcopy(WENXI)
    change(data)
    return data


def error_of(tmp_path, change) -> RulesFileError:
    with pytest.raises(RulesFileError) as info:
        load(write(tmp_path, mutated(change)))
    return info.value


def _set(path, value):
    def change(data):
        *parents, last = path
        node = data
        for p in parents:
            node = node[p]
        node[last] = value
    return change


@pytest.mark.parametrize("change,field,reason", [
    (_set(["categories", 3, "subsidy"], {"percent": 120}), "categories[3].subsidy.percent", "应不大于 100"),
    (_set(["categories", 0, "subsidy"], {"full": True, "percent": 50}), "categories[0].subsidy",
     "须且只能给出 full / percent / amount / pays / pending / at_least_percent 之一"),
    (_set(["categories", 1, "subsidy"], {"amount": "400.00"}), "categories[1].subsidy.amount", "超过个人缴费标准"),
    (_set(["categories", 2, "subsidy"], {"amount": "1.234"}), "categories[2].subsidy.amount", "小数位数不能超过 2 位"),
    (_set(["categories", 0, "funds"], [{"fund": "county_budget"}]), "categories[0].funds[0].fund", "未声明的资金"),
    (_set(["categories", 0, "funds"], [{"fund": "medical_assistance", "percent": 50}]), "categories[0].funds",
     "须有且只有一个不写 percent/amount 的资金"),
    (_set(["categories", 1, "statuses"], ["低保户口"]), "categories[1].statuses[0]", "未知的人员身份 '低保户口'"),
    (_set(["categories", 4, "priority"], 1), "categories[4].priority", "与 categories[0] 重复"),
    (_set(["categories", 6, "age"], [{"min": 70, "max": 60}]), "categories[6].age[0]", "min（70）不能大于 max（60）"),
    (_set(["categories", 0, "statuss"], ["特困人员"]), "categories[0].statuss", "未知字段"),
    (lambda d: d.pop("contribution"), "contribution", "缺少必填字段"),
    (_set(["late_payment", "waiting"], {"months": 3, "unknown": True}), "late_payment.waiting", "须且只能给出"),
    (_set(["age_on"], "birthday"), "age_on", "应为 'benefit_start'、'as_of' 之一"),
    (_set(["collection", "end"], "2025-01-05"), "collection.end", "集中缴费期应在待遇年度内"),
    (lambda d: d["collection"].update(start="2024-01-05", end="2024-02-28"), "collection.start",
     "集中缴费期应在待遇年度开始"),
    (_set(["labels"], {"五保老人": "五保"}), "labels.五保老人", "未知的人员身份 '五保'"),
    (lambda d: d["jurisdiction"].update(region_code="14082"), "jurisdiction.region_code", "6位行政区划代码"),
])
def test_mistake_names_file_field_and_reason(tmp_path, change, field, reason):
    err = error_of(tmp_path, change)
    assert err.field == field
    assert reason in err.reason
    assert err.path.endswith("test-2024.yaml")
    assert str(err).startswith(f"规则文件 {err.path}：字段 {field}：")


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad-2024.yaml"
    path.write_text("id: bad-2024\nyear: [2024\n", encoding="utf-8")
    with pytest.raises(RulesFileError) as info:
        load(path)
    assert info.value.field.startswith("第 ") and "YAML 格式错误" in info.value.reason


def test_next_year_and_other_shapes_need_only_a_file(tmp_path):
    """2025 (personal 400), a fixed co-pay, disability grades, layered funds, a tie: data, no code."""
    data = copy.deepcopy(WENXI)
    data.update(id="other-2025", year=2025)
    data["contribution"]["personal"] = "400.00"
    data["collection"].update(start="2024-09-01", end="2024-12-31")
    data["funds"] = {"medical_assistance": "医疗救助资金", "county_budget": "县级财政"}
    layered = [{"fund": "medical_assistance", "amount": "150.00"}, {"fund": "county_budget"}]
    basis = {"doc": "测试〔2024〕1号", "section": "一"}
    data["categories"] = [
        {"id": "dibao", "label": "低保对象", "priority": 1, "statuses": ["低保对象"], "subsidy": {"percent": 30},
         "funds": [{"fund": "medical_assistance"}], "basis": basis},
        {"id": "fanpin", "label": "返贫致贫人口", "priority": 2, "statuses": ["返贫致贫人口"], "subsidy": {"pays": "50.00"},
         "funds": layered, "basis": basis},
        {"id": "canji_heavy", "label": "重度残疾人", "priority": 3, "statuses": ["残疾人"],
         "attributes": {"disability_grade": [1, 2]}, "subsidy": {"full": True}, "funds": layered, "basis": basis},
        {"id": "canji_other", "label": "三四级残疾人", "priority": 4, "statuses": ["残疾人"],
         "attributes": {"disability_grade": [3, 4]}, "subsidy": {"percent": 50}, "funds": layered, "basis": basis},
        {"id": "old", "label": "80岁以上老年人", "priority": 5, "age": [{"min": 80}], "subsidy": {"percent": 50},
         "funds": [{"fund": "county_budget"}], "basis": basis},
    ]
    policy = load(write(tmp_path, data, "other-2025.yaml"))
    assert (policy.year, policy.personal_fen) == (2025, 40000)

    persons = pd.DataFrame({
        "key": [1, 2, 3, 4, 5, 6],
        "birth_date": pd.to_datetime(["1990-01-01"] * 5 + ["1940-01-01"]),
        "disability_grade": pd.array([None, None, 1, 3, 4, 3], dtype="Int64"),
    })
    memberships = pd.DataFrame({"key": [1, 2, 3, 4, 5, 6], "status": ["低保对象", "返贫致贫人口", "残疾人", "残疾人", "残疾人", "残疾人"]})
    d = decide(policy, persons, memberships).set_index("key")
    # 400 × 30% = 120 | pays 50 → 350 = 150 + 200 | full 400 = 150 + 250 | 50% = 200 = 150 + 50
    assert d["subsidy_fen"].tolist() == [12000, 35000, 40000, 20000, 20000, 20000]
    assert d["fund_medical_assistance_fen"].tolist() == [12000, 15000, 15000, 15000, 15000, 15000]
    assert d["fund_county_budget_fen"].tolist() == [0, 20000, 25000, 5000, 5000, 5000]
    # 85-year-old grade-3: two categories of 200 tie → priority 4 (三四级残疾人) beats 5 (80岁以上).
    assert (d.at[6, "category"], d.at[6, "others"]) == ("三四级残疾人", "80岁以上老年人")


@pytest.mark.parametrize("rounding,quantum,fen", [
    ("ROUND_HALF_UP", "0.01", 12665),  # 380 × 33.33% = 126.654
    ("ROUND_HALF_UP", "1", 12700),
    ("ROUND_DOWN", "1", 12600),
])
def test_rounding_is_declared_in_the_file(tmp_path, rounding, quantum, fen):
    data = mutated(_set(["categories", 2, "subsidy"], {"percent": "33.33"}))
    data["money"] = {"rounding": rounding, "quantum": quantum}
    policy = load(write(tmp_path, data))
    assert next(c for c in policy.categories if c.id == "dibao").subsidy_fen == fen


def test_age_on_as_of_measures_ages_on_the_decision_date(tmp_path):
    # 闻喜 二（八） 低收入家庭六十周岁以上: born 1964-03-01 is 59 on 2024-01-01 but 60 on 2024-06-01.
    persons = pd.DataFrame({"key": [1], "birth_date": pd.to_datetime(["1964-03-01"])})
    memberships = pd.DataFrame({"key": [1], "status": ["低收入家庭成员"]})
    on_as_of = load(write(tmp_path, mutated(_set(["age_on"], "as_of"))))
    assert decide(on_as_of, persons, memberships, dt.date(2024, 6, 1)).iloc[0]["subsidy_fen"] == 19000
    assert decide(load("wenxi-2024"), persons, memberships, dt.date(2024, 6, 1)).iloc[0]["subsidy_fen"] == 0
