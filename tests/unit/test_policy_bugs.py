"""Regression tests for the policy bugs of issue 10, one each (found by writing other notices as rules)."""

import copy
import json

import pandas as pd
import pytest
import yaml

from yibao.attributes import per_person
from yibao.cli import main
from yibao.jurisdiction import RulesFileError, read_rules_yaml, rules_path
from yibao.policy import decide, load

_, TENGZHOU = read_rules_yaml("tengzhou-2024")
# 2000-01-01, 370481 = 滕州市 (valid check characters).
ID_24, ID_60 = "370481200001010017", "370481196005010015"


def write(tmp_path, data, name="test-2024.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def decide_csv(tmp_path, capsys, text, rules="tengzhou-2024"):
    csv = tmp_path / "p.csv"
    csv.write_text(text, encoding="utf-8")
    assert main(["policy", "decide", "--policy", str(rules), "--persons", str(csv), "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_decide_and_pipeline_share_the_most_severe_grade(tmp_path, capsys):
    # 滕州 二（三）4 重度残疾人: one person listed twice, 一级 and 四级 → 一级 (the most severe) counts.
    rows = decide_csv(tmp_path, capsys, f"身份证号码,人员类别,残疾等级\n{ID_24},残疾人,四级\n{ID_24},残疾人,一级\n")
    assert (rows[0]["category"], rows[0]["subsidy"]) == ("重度残疾人", "380.00")
    # The pipeline's memberships go through the same rule.
    members = pd.DataFrame({"key": [7, 7, 8], "disability_grade": pd.array([4, 1, 3], dtype="Int64")})
    assert per_person(members, ["disability_grade"]).loc[[7, 8], "disability_grade"].tolist() == [1, 3]


def test_misspelt_attribute_is_rejected_with_its_path(tmp_path):
    data = copy.deepcopy(TENGZHOU)
    cat = next(c for c in data["categories"] if c["id"] == "zhongcan")
    cat["attributes"] = {"disabilty_grade": [1, 2]}
    with pytest.raises(RulesFileError) as info:
        load(write(tmp_path, data))
    at = data["categories"].index(cat)
    assert info.value.field == f"categories[{at}].attributes.disabilty_grade"
    assert "未知的人员属性" in info.value.reason and "disability_grade" in info.value.reason


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 0, 2), (2, 1, 0), (1, 2, 0)])
def test_fund_split_does_not_depend_on_part_order(tmp_path, order):
    # 380 full: 医疗救助 300 fixed; of the remaining 80, 市级 50% = 40; 镇街 the rest = 40.
    parts = [{"fund": "city_budget", "percent": 50}, {"fund": "medical_assistance", "amount": "300.00"},
             {"fund": "town_budget"}]
    data = copy.deepcopy(TENGZHOU)
    data["categories"][0]["funds"] = [parts[i] for i in order]
    tekun = next(c for c in load(write(tmp_path, data)).categories if c.id == "tekun")
    assert tekun.funds_fen == {"medical_assistance": 30000, "city_budget": 4000, "town_budget": 4000}


def test_check_lists_every_error_with_path_and_hint(tmp_path, capsys):
    text = rules_path("tengzhou-2024").read_text(encoding="utf-8")
    text = text.replace("subsidy: {percent: 50}", "subsidy: {percent: 150}", 1)
    text = text.replace("priority: 2\n", "priority: 1\n", 1)
    text = text.replace("每人每年640元，2024年", "每人每年640元,2024年", 1)
    text = text.replace("statuses: [抚恤定补优抚对象]", "statuses: [抚恤对象]", 1)
    path = tmp_path / "bad-2024.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["policy", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "另有" not in err
    assert f"规则文件 {path}" in err and "共 4 处错误" in err
    assert "字段 categories[10].subsidy.percent：应不大于 100" in err
    assert "字段 contribution.basis.quote：" in err and "引号内含英文逗号时请给整段加引号" in err
    assert "2024年个人缴费标准为每人每年380元" in err  # the cut-off text is quoted in the hint, not named a field
    assert "字段 categories[9].statuses[0]：未知的人员身份 '抚恤对象'" in err
    assert "字段 categories[1].priority：与 categories[0] 重复" in err


def test_category_label_is_an_input_label_and_implies_its_attribute(tmp_path, capsys):
    # 滕州 二（三）4: a 残联 list written in the notice's words, 重度残疾人, with or without the grade.
    rows = decide_csv(tmp_path, capsys, f"身份证号码,人员类别,残疾等级\n{ID_24},重度残疾人,\n{ID_60},重度残疾人,一级\n")
    assert [(r["category"], r["subsidy"]) for r in rows] == [("重度残疾人", "380.00"), ("重度残疾人", "380.00")]


def test_labels_may_imply_an_attribute_in_any_rules_file(tmp_path, capsys):
    data = copy.deepcopy(TENGZHOU)
    data["labels"]["一二级残疾人"] = {"status": "残疾人", "attributes": {"disability_grade": [1, 2]}}
    path = write(tmp_path, data)
    policy = load(path)
    persons = pd.DataFrame({"key": [1], "birth_date": pd.to_datetime(["2000-01-01"])})
    from yibao.policy import label_attributes, resolve_labels
    labels = pd.Series(["一二级残疾人"])
    assert resolve_labels(policy, labels).tolist() == ["残疾人"]
    implied = label_attributes(policy, labels)
    persons["disability_grade"] = implied["disability_grade"].to_numpy()
    got = decide(policy, persons, pd.DataFrame({"key": [1], "status": ["残疾人"]}))
    assert got.iloc[0]["category"] == "重度残疾人"
    data["labels"]["一二级残疾人"]["attributes"] = {"disability_grade": [7]}
    with pytest.raises(RulesFileError) as info:
        load(write(tmp_path, data))
    assert info.value.field == "labels.一二级残疾人.attributes.disability_grade"
