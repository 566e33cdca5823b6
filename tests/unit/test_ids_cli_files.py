"""``yibao ids check`` on the files departments really send: bad headers, no header, ragged rows, odd
line breaks — each one a clear Chinese message and exit 2, or handled explicitly; never a traceback."""

from __future__ import annotations

import json

import pytest
from stdnum.cn.ric import calc_check_digit

from yibao.cli import main

GOOD = "37048119800101123" + calc_check_digit("370481198001011230")
OTHER = "11010519491231002X"


def run(capsys, *argv):
    code = main(["ids", "check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("header", ["姓名,身份证号码,身份证号码", "姓名,身份证号码,身份证号码 ", "身份证号码,姓名, 身份证号码"])
def test_duplicated_id_header_is_a_clear_error(tmp_path, capsys, header):
    path = tmp_path / "dup.csv"
    path.write_text(f"{header}\n张三,{GOOD},{GOOD}\n", encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith("错误：") and "“身份证号码”" in err and "重复" in err
    assert "Traceback" not in err and "AttributeError" not in err


def test_file_without_header_row_checks_every_row(tmp_path, capsys):
    path = tmp_path / "noheader.csv"
    path.write_text(f"张三,{GOOD}\n李四,{OTHER}\n", encoding="utf-8")
    code, out, err = run(capsys, path, "--json", "--as-of", "2024-01-01")
    assert code == 0
    assert [json.loads(line)["normalized"] for line in out.splitlines()] == [GOOD, OTHER]
    assert "没有表头" in err and "第 2 列" in err


def test_ragged_row_is_reported_not_shifted(tmp_path, capsys):
    path = tmp_path / "ragged.csv"
    path.write_text(f"姓名,身份证号码,备注\n张三,{GOOD},\n李四,王五,{OTHER},多余\n赵六\n", encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert "第 3、4 行" in err and "列数" in err and "3 列" in err


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"])
def test_unicode_line_separators_do_not_make_rows(tmp_path, capsys, odd):
    path = tmp_path / "ids.txt"
    path.write_text(f"{GOOD}\n{OTHER}{odd}\n{GOOD}\r\n", encoding="utf-8")
    code, out, _ = run(capsys, path, "--json", "--as-of", "2024-01-01")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert rows[0]["valid"] and rows[2]["valid"]
    assert rows[1]["input"] == f"{OTHER}{odd}" and code == (0 if rows[1]["valid"] else 1)


def test_json_escapes_what_json_must(tmp_path, capsys):
    path = tmp_path / "ids.txt"
    path.write_text(f'{GOOD}\n"{OTHER}\\\n\t1\n', encoding="utf-8")
    code, out, _ = run(capsys, path, "--json", "--as-of", "2024-01-01")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["input"] for r in rows] == [GOOD, f'"{OTHER}\\', "\t1"]
    assert rows[0]["birth_date"] == "1980-01-01" and rows[0]["sex"] == "男"
    assert code == 1


def test_table_is_aligned_and_masked(tmp_path, capsys):
    path = tmp_path / "ids.txt"
    path.write_text(f"{GOOD}\n{GOOD[:17]}0\n\n", encoding="utf-8")
    code, out, _ = run(capsys, path, "--as-of", "2024-01-01")
    lines = out.splitlines()
    assert code == 1 and GOOD not in out
    assert lines[0].split() == ["行号", "身份证号码(脱敏)", "结果", "出生日期", "性别", "问题说明"]
    assert lines[1].split() == ["1", "370481********" + GOOD[-4:], "有效", "1980-01-01", "男"]
    assert lines[2].split()[:3] == ["2", "370481********1230", "无效"] and "校验位错误" in lines[2]
    assert lines[-1] == "共 2 条，有效 1 条，无效 1 条"


def test_plain_rows_template_matches_the_general_path(tmp_path):
    """Valid plain IDs are written from a byte template; it must give exactly what the Arrow path gives."""
    import datetime as dt

    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from yibao.cli import ids as cli_ids
    from yibao.ids import check, describe

    values = pa.array([GOOD, OTHER, "11010519491231002x", GOOD[:17] + "0", GOOD], pa.large_string())
    result = check(pd.Series(pd.arrays.ArrowStringArray(values)), as_of=dt.date(2024, 1, 1))
    for json_out in (True, False):
        mixed = cli_ids._block_lines(values, result, json_out, 10, 1000).to_pylist()
        if json_out:
            general = cli_ids._json_block(values, result, describe(result)).to_pylist()
        else:
            lines = cli_ids._table_block(np.arange(10, 15), 1000, values, result, describe(result))
            general = [line.rstrip() + "\n" for line in lines.to_pylist()]
        assert mixed == general


def test_xlsx_without_header_and_with_duplicated_header(tmp_path, capsys):
    import xlsxwriter

    path = tmp_path / "noheader.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["张三", GOOD])
        sheet.write_row(1, 0, ["李四", OTHER])
    code, out, err = run(capsys, path, "--json", "--as-of", "2024-01-01")
    assert code == 0 and "没有表头" in err
    assert [json.loads(line)["normalized"] for line in out.splitlines()] == [GOOD, OTHER]
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["公民身份号码", "姓名", "公民身份号码 "])
        sheet.write_row(1, 0, [GOOD, "张三", GOOD])
    code, out, err = run(capsys, path)
    assert code == 2 and out == "" and "“公民身份号码”" in err and "重复" in err


def test_a_roster_template_with_title_rows_is_checked_from_under_its_header(tmp_path, capsys):
    import xlsxwriter

    path = tmp_path / "总名单.xlsx"
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_string(0, 0, "闻喜县民政局 2023年11月 困难人口总名单")  # title rows, as in 闻喜's 附件2
        sheet.write_string(1, 0, "单位名称（盖章）：闻喜县民政局")
        sheet.write_row(2, 0, ["序号", "姓名（务必正确）", "身份证号码（务必正确）"])
        sheet.write_row(3, 0, ["1", "张三", GOOD])
        sheet.write_row(4, 0, ["2", "李四", OTHER])
    code, out, err = run(capsys, path, "--json", "--as-of", "2024-01-01")
    assert code == 0 and err == ""
    assert [json.loads(line)["normalized"] for line in out.splitlines()] == [GOOD, OTHER]


def test_a_legacy_xls_roster_is_checked_and_a_number_cell_is_excel_damage(capsys):
    from pathlib import Path

    path = Path(__file__).parents[1] / "fixtures" / "xls" / "总名单.xls"  # see tests/unit/test_readers.py
    code, out, _ = run(capsys, path, "--json", "--as-of", "2024-01-01")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(rows) == 11 and [r["valid"] for r in rows] == [True, False, *[True] * 9]


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_excels_unicode_text_is_read_as_its_table(tmp_path, capsys, suffix):
    """Excel's 另存为 Unicode 文本: UTF-16 with tabs, a title row above the header; the ID column is found."""
    path = tmp_path / f"名单{suffix}"
    path.write_bytes(f"残疾人名单\r\n序号\t姓名\t身份证号码\r\n1\t张三\t{GOOD}\r\n2\t李四\t{OTHER[:-1]}0\r\n"
                     .encode("utf-16"))
    code, out, err = run(capsys, path, "--json", "--as-of", "2024-01-01")
    assert [(r["input"], r["valid"]) for r in map(json.loads, out.splitlines())] == [(GOOD, True), (OTHER[:-1] + "0", False)]
    assert code == 1 and err == ""


def test_a_tab_file_with_a_named_column_is_read_by_that_column(tmp_path, capsys):
    path = tmp_path / "ids.txt"
    path.write_text(f"姓名\t证件号\n张三\t{GOOD}\n", encoding="utf-8")
    code, out, _ = run(capsys, path, "--json", "--column", "证件号", "--as-of", "2024-01-01")
    assert [json.loads(line)["input"] for line in out.splitlines()] == [GOOD] and code == 0
