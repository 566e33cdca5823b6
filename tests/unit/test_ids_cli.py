"""``yibao ids check``: text, CSV and Excel inputs; JSON rows; clear errors for bad files."""

from __future__ import annotations

import json

import pytest
import xlsxwriter
from stdnum.cn.ric import calc_check_digit

from yibao.cli import main

GOOD = "37048119800101123" + calc_check_digit("370481198001011230")
WRONG = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")


def run(capsys, *argv):
    code = main(["ids", "check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def json_rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_text_file_table(tmp_path, capsys):
    path = tmp_path / "ids.txt"
    path.write_text(f"{GOOD}\n{WRONG}\n370481800101123\n", encoding="utf-8")
    code, out, err = run(capsys, path, "--as-of", "2024-01-01")
    assert code == 1 and err == ""
    assert "行号" in out and "问题说明" in out
    assert f"校验位错误，应为{GOOD[17]}" in out
    assert GOOD not in out  # the table masks IDs
    assert "共 3 条，有效 2 条，无效 1 条" in out


def test_json_keys_and_values(tmp_path, capsys):
    path = tmp_path / "ids.txt"
    path.write_text(f"{GOOD}\n{WRONG}\n3.70481E+17\n", encoding="utf-8")
    code, out, _ = run(capsys, path, "--json", "--as-of", "2024-01-01")
    rows = json_rows(out)
    assert code == 1
    assert [list(r) for r in rows] == [["input", "normalized", "valid", "reasons", "birth_date", "sex"]] * 3
    assert rows[0] == {
        "input": GOOD, "normalized": GOOD, "valid": True, "reasons": [], "birth_date": "1980-01-01", "sex": "男",
    }  # fmt: skip
    assert rows[1]["reasons"] == ["BAD_CHECK"] and rows[1]["valid"] is False
    assert rows[2] == {
        "input": "3.70481E+17", "normalized": None, "valid": False, "reasons": ["EXCEL_SCIENTIFIC"],
        "birth_date": None, "sex": None,
    }  # fmt: skip


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_with_chinese_headers(tmp_path, capsys, encoding):
    path = tmp_path / "roster.csv"
    path.write_text(f"姓名,公民身份号码\n张三,{GOOD}\n李四, 11010519491231002x\n", encoding=encoding)
    code, out, _ = run(capsys, path, "--json")
    assert code == 0
    assert [r["normalized"] for r in json_rows(out)] == [GOOD, "11010519491231002X"]


def test_csv_column_option_and_missing_column(tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_text(f"姓名,号码\n张三,{GOOD}\n", encoding="utf-8")
    code, out, _ = run(capsys, path, "--column", "号码", "--json")
    assert code == 0 and json_rows(out)[0]["valid"] is True
    code, out, err = run(capsys, path, "--column", "身份证号码")
    assert code == 2 and out == ""
    assert err.startswith("错误：") and "身份证号码" in err and "Traceback" not in err


def test_xlsx_numeric_cell_is_rejected_as_excel_damage(tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["姓名", "身份证号码"])
        sheet.write_row(1, 0, ["张三", GOOD])
        sheet.write_string(2, 0, "李四")
        sheet.write_number(2, 1, int(GOOD[:17] + "1"))
    code, out, _ = run(capsys, path, "--json", "--as-of", "2024-01-01")
    rows = json_rows(out)
    assert code == 1
    assert rows[0]["valid"] is True
    assert rows[1]["reasons"] == ["EXCEL_SCIENTIFIC"] and rows[1]["normalized"] is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "为空"),
        ("blank.csv", b"  \n\n", "为空"),
        ("header_only.csv", "身份证号码\n".encode(), "没有数据行"),
        ("binary.txt", b"\xff\xfe\xff\xff\x00\x81", "编码"),
        ("broken.xlsx", b"not a zip file", "Excel"),
        ("ids.pdf", b"%PDF-1.4", "不支持"),
    ],
)
def test_bad_files_get_one_clear_error(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith("错误：") and message in err
    assert "Traceback" not in err


def test_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nowhere.txt")
    assert code == 2 and err.startswith("错误：")
