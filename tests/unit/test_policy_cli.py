"""``yibao policy check | decide | explain`` end to end through the argparse entry point."""

import json

from yibao.cli import main

# Valid IDs (370481 = 滕州市): born 1960-05-01, 1950-01-01, 2000-01-01.
ID_60, ID_74, ID_24 = "370481196005010015", "370481195001010013", "370481200001010017"


def test_check_prints_who_pays_what(capsys):
    assert main(["policy", "check", "tengzhou-2024"]) == 0
    out = capsys.readouterr().out
    assert "计生优待家庭成员" in out
    assert "全额资助：资助 380.00 元 = 市级财政 190.00 元 + 镇街财政 190.00 元；个人缴纳 0.00 元" in out
    assert "检查通过" in out


def test_check_bad_file_exits_2_with_field(tmp_path, capsys):
    bad = tmp_path / "bad-2024.yaml"
    text = (__import__("yibao.jurisdiction").jurisdiction.rules_path("juye-2024")).read_text(encoding="utf-8")
    bad.write_text(text.replace("subsidy: {percent: 30}", "subsidy: {percent: 300}", 1), encoding="utf-8")
    assert main(["policy", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：规则文件") and "categories[2].subsidy.percent：应不大于 100" in err


def test_decide_json_several_labels_and_rows(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text(
        "身份证号码,人员类别,残疾等级\n"
        f"{ID_60},低保对象、防止返贫监测帮扶对象,\n"
        f"{ID_60},农村一女户,\n"
        f"{ID_74},,\n"
        f"{ID_24},持证残疾人,二级\n", encoding="utf-8")
    assert main(["policy", "decide", "--policy", "tengzhou-2024", "--persons", str(csv), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == {"id": ID_60, "category": "低保对象", "subsidy": "380.00", "personal": "0.00",
                       "funds": {"医疗救助资金": "380.00"}, "basis": "滕政办发〔2023〕33号 二（二）",
                       "others": ["防止返贫监测帮扶对象", "计生优待家庭成员", "60至69岁老年人"]}
    assert [r["category"] for r in rows[1:]] == ["70岁以上老年人", "重度残疾人"]
    assert rows[1]["funds"] == {"市级财政": "380.00"}


def test_decide_rejects_unknown_label_and_bad_id(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text(f"身份证号码,人员类别\n{ID_60},火星人\n", encoding="utf-8")
    assert main(["policy", "decide", "--policy", "wenxi-2024", "--persons", str(csv)]) == 2
    assert "无法识别的人员类别：火星人（第 2 行）" in capsys.readouterr().err
    csv.write_text("身份证号码,人员类别\n370481196005010016,低保对象\n", encoding="utf-8")
    assert main(["policy", "decide", "--policy", "wenxi-2024", "--persons", str(csv)]) == 2
    err = capsys.readouterr().err
    assert "370481********0016" in err and "370481196005010016" not in err


def test_explain_reads_out_the_amount_and_basis(capsys):
    assert main(["policy", "explain", "--policy", "wenxi-2024", "--id", ID_24,
                 "--categories", "丧失劳动能力的残疾人员"]) == 0
    out = capsys.readouterr().out
    assert "370481********0017" in out and ID_24 not in out
    assert "个人缴纳190.00元" in out and "闻政办发〔2023〕29号 二（七）" in out
