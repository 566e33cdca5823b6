"""The shared XLSX writer, read back the way clerks' tools read it (openpyxl, and calamine like pandas)."""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from yibao.outputs.xlsx import Sheet, write_xlsx, write_xlsx_groups


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["张三丰", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "李&<四>", "\tTab", None],
            "fen": [38000, 19000, 0, -5, 11400, 7600, 100, None],
            "count": [1, 2, 3, 4, 5, 6, 7, 8],
            "rate": [0.5, 0.25, 1.0, 0.0, np.nan, 0.125, 1 / 3, 0.9],
            "paid": [True, False, True, False, True, False, True, False],
            "date": pd.to_datetime(["2023-10-01", "2023-12-31", None, "2024-01-02", "2023-09-01", "2023-09-02",
                                    "2023-09-03", "2023-09-04"]),
        }
    ).astype({"fen": "Int64"})


def test_values_headers_and_types_read_back(tmp_path, frame):
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("名单", frame, {"name": "姓名", "fen": "金额（元）", "count": "人数",
                                                                   "rate": "比例", "paid": "已缴费", "date": "日期"},
                                                  money_fen=("fen",), percent=("rate",))])
    ws = openpyxl.load_workbook(path)["名单"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["姓名", "金额（元）", "人数", "比例", "已缴费", "日期"]
    assert rows[1] == ["张三丰", 380, 1, 0.5, "是", dt.datetime(2023, 10, 1)]
    assert ws["F2"].number_format == "yyyy-mm-dd" and ws["F2"].is_date
    assert rows[4][1] == -0.05 and rows[3][1] == 0
    assert rows[6][0] == "李&<四>"
    assert rows[5][3] is None, "NaN becomes an empty cell, not a number"
    assert rows[8][0] is None and rows[8][1] is None
    assert rows[3][5] is None
    assert ws["B2"].number_format == "#,##0.00" and ws["D2"].number_format == "0.00%"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F9"
    assert ws.column_dimensions["A"].width >= 8


def test_no_cell_is_a_formula_and_risky_text_is_quote_prefixed(tmp_path, frame):
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("s", frame[["name"]])])
    ws = openpyxl.load_workbook(path)["s"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 9)]
    assert all(c.data_type == "s" for c in cells), [c.data_type for c in cells]
    prefixed = {c.value: c.quotePrefix for c in cells}
    assert prefixed == {"张三丰": False, '=HYPERLINK("http://x")': True, "+1": True, "-2": True, "@SUM(A1)": True,
                        "李&<四>": False, "\tTab": True}
    with zipfile.ZipFile(path) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml


def test_title_rows_are_merged_above_a_frozen_header(tmp_path):
    frame = pd.DataFrame({"a": ["1"], "b": ["2"], "c": ["3"]})
    path = write_xlsx(tmp_path / "t.xlsx", [Sheet("附件2", frame, title=("附件2", "闻喜县特困人员名单"))])
    ws = openpyxl.load_workbook(path)["附件2"]
    assert ws["A1"].value == "附件2" and ws["A2"].value == "闻喜县特困人员名单"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:C1", "A2:C2"}
    assert [c.value for c in ws[3]] == ["a", "b", "c"] and [c.value for c in ws[4]] == ["1", "2", "3"]
    assert ws.freeze_panes == "A4"
    assert ws["A3"].font.b and ws["A1"].font.b and not ws["A2"].font.b
    # printed lists: landscape, fit to the page width, title and header rows repeated on every page
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$3"


def test_a_title_or_note_longer_than_the_table_wraps_in_a_row_tall_enough_to_show_it(tmp_path):
    """Excel neither wraps a merged cell's text nor grows its row: a long one would be cut off at the edge."""
    frame = pd.DataFrame({"a": ["1"], "b": ["2"]})  # two columns of the minimum width, 6 each: 12 units of room
    long_note = "各工作表为贵单位原表格式，末尾列为问题代码"  # 21 CJK characters: 42 units, 5 lines of 10
    title = "闻喜县资助资金拨付申请"  # 11 CJK characters at 14 points: 28 units of 11-point text, 3 lines
    path = write_xlsx(tmp_path / "n.xlsx", [Sheet("说明", frame, title=(title, "短说明", long_note))])
    ws = openpyxl.load_workbook(path)["说明"]
    assert ws["A3"].value == long_note and ws["A3"].alignment.wrap_text
    assert ws.row_dimensions[3].height == 15 * 5 and ws.row_dimensions[3].customHeight
    assert not ws["A2"].alignment.wrap_text and ws.row_dimensions[2].height is None  # a short note stays one line
    assert ws["A1"].font.sz == 14 and ws["A1"].font.b and ws["A1"].alignment.wrap_text
    assert ws.row_dimensions[1].height == pytest.approx(15 * 14 / 11 * 3, abs=0.01)


def test_a_two_row_header_is_shaded_and_merged_as_given_and_never_over_a_title_line(tmp_path):
    frame = pd.DataFrame({"a": ["1"], "b": ["张三"], "c": ["140823194001011239"], "d": ["x"]})
    title = ("闻喜县困难人口名单", ("序号", "人员信息"))
    sheet = Sheet("民政", frame, {"a": "序号", "b": "姓名", "c": "身份证号码", "d": "问题代码"}, title=title,
                  header_merges=((1, 0, 2, 0), (1, 1, 1, 2)), header_rows=1)
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "t.xlsx", [sheet]))["民政"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:D1", "A2:A3", "B2:C2"}
    assert [c.value for c in ws[2]] == ["序号", "人员信息", None, None] and ws["B3"].value == "姓名"
    header_fill = ws["B3"].fill.fgColor.rgb
    assert {ws[c].fill.fgColor.rgb for c in ("A2", "B2", "D2")} == {header_fill} != {ws["A1"].fill.fgColor.rgb}
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:D4"
    with pytest.raises(ValueError, match="合并区域"):
        Sheet("民政", frame, title=title, header_merges=((0, 0, 1, 0),))  # down from the title line
    with pytest.raises(ValueError, match="合并区域"):
        Sheet("民政", frame, title=title, header_merges=((1, 3, 1, 4),))  # past the last column
    with pytest.raises(ValueError, match="相互重叠"):
        Sheet("民政", frame, title=title, header_merges=((1, 0, 2, 1), (2, 1, 2, 3)))
    with pytest.raises(ValueError, match="表头行"):
        Sheet("民政", frame, title=title, header_rows=2)  # the title line is not the header's
    # a row of cells by column that is not the header's (填报单位 … 日期) stays plain
    plain = openpyxl.load_workbook(write_xlsx(tmp_path / "p.xlsx", [Sheet("民政", frame, title=title)]))["民政"]
    assert plain["A2"].value == "序号" and plain["D2"].value is None and plain["A2"].fill.fgColor.rgb != header_fill


def test_many_sheets_names_sanitized_and_calamine_reads_them(tmp_path):
    sheets = [Sheet("汇总/明细", pd.DataFrame({"x": [1, 2]})), Sheet("汇总/明细", pd.DataFrame({"y": ["a"]})),
              Sheet("空", pd.DataFrame({"z": pd.Series([], dtype="str")}))]
    path = write_xlsx(tmp_path / "m.xlsx", sheets)
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["汇总_明细", "汇总_明细 (2)", "空"]
    assert book.get_sheet_by_index(0).to_python() == [["x"], [1.0], [2.0]]
    assert book.get_sheet_by_index(1).to_python() == [["y"], ["a"]]
    assert openpyxl.load_workbook(path)["空"].max_row == 1


def test_control_characters_are_dropped_not_fatal(tmp_path):
    frame = pd.DataFrame({"name": ["a\x00b\x1fc", "ok\ufffe"]})
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "c.xlsx", [Sheet("s", frame)]))["s"]
    assert [ws["A2"].value, ws["A3"].value] == ["abc", "ok"]


def test_written_atomically_and_large_sheets_span_chunks(tmp_path, monkeypatch):
    import yibao.outputs.xlsx as writer

    monkeypatch.setattr(writer, "ROWS_PER_CHUNK", 7)
    frame = pd.DataFrame({"n": np.arange(50), "s": [f"村{i}" for i in range(50)]})
    path = write_xlsx(tmp_path / "big.xlsx", [Sheet("s", frame)])
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[1:] == [[float(i), f"村{i}"] for i in range(50)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.xlsx"]


def test_members_are_deflated_and_inflate_with_zlib(tmp_path):
    """The writer deflates with ISA-L; every reader inflates with zlib, so the raw stream and CRCs must agree."""
    frame = pd.DataFrame({"s": [f"村{i % 7}" for i in range(20_000)], "n": np.arange(20_000)})
    path = write_xlsx(tmp_path / "z.xlsx", [Sheet("s", frame)])
    with zipfile.ZipFile(path) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
        assert zf.testzip() is None
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.compress_size < sheet.file_size / 5


def test_a_failed_write_leaves_the_previous_file(tmp_path):
    path = write_xlsx(tmp_path / "keep.xlsx", [Sheet("s", pd.DataFrame({"a": ["old"]}))])

    class Broken(pd.DataFrame):
        @property
        def columns(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_xlsx(path, [Sheet("s", Broken({"a": ["new"]}))])
    assert openpyxl.load_workbook(path)["s"]["A2"].value == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.xlsx"]


def test_columns_in_several_arrow_chunks(tmp_path):
    parts = [pd.DataFrame({"t": ["甲", "乙"], "n": [1, 2]}), pd.DataFrame({"t": ["丙"], "n": [3]})]
    frame = pd.concat([p.astype({"t": "string[pyarrow]"}) for p in parts], ignore_index=True)
    path = write_xlsx(tmp_path / "c.xlsx", [Sheet("s", frame)])
    assert [[c.value for c in r] for r in openpyxl.load_workbook(path)["s"].iter_rows(min_row=2)] == [
        ["甲", 1], ["乙", 2], ["丙", 3]]


@pytest.mark.parametrize("risky", [True, False], ids=["risky text", "plain text"])
def test_group_workbooks_quote_risky_text_and_keep_edge_spaces(tmp_path, risky):
    names = ["=1+1", " 张三", "李四 ", "王五"] if risky else ["张三", "李四", "王五", "赵六"]
    frame = pd.DataFrame({"village": ["东村", "东村", "西村", "西村"], "name": names})
    written = write_xlsx_groups(Sheet("公示", frame, {"name": "姓名"}), ["village"],
                                lambda key: tmp_path / f"{key[0]}.xlsx", lambda key, rows: (f"{key[0]} {rows} 人",))
    assert written == 2
    cells = [c for village in ("东村", "西村")
             for c in openpyxl.load_workbook(tmp_path / f"{village}.xlsx")["公示"]["A"][2:]]
    assert [c.value for c in cells] == names and all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [risky, False, False, False]
    with zipfile.ZipFile(tmp_path / "东村.xlsx") as zf:
        assert (b'xml:space="preserve">' + " 张三".encode() in zf.read("xl/worksheets/sheet1.xml")) == risky


@pytest.mark.parametrize("villages", [["东村", "东村", "西村", "西村", "西村"], ["西村", "东村", "西村", "东村", "西村"]],
                         ids=["grouped", "interleaved"])
def test_group_workbooks_hold_each_groups_rows_in_order(tmp_path, villages):
    frame = pd.DataFrame({"village": villages, "seq": range(1, 6)})
    written = write_xlsx_groups(Sheet("公示", frame, {"seq": "序号"}), ["village"],
                                lambda key: tmp_path / f"{key[0]}.xlsx", lambda key, rows: (f"{key[0]} {rows} 人",))
    assert written == 2
    for village in ("东村", "西村"):
        ws = openpyxl.load_workbook(tmp_path / f"{village}.xlsx")["公示"]
        mine = [n for v, n in zip(villages, range(1, 6), strict=True) if v == village]
        assert ws["A1"].value == f"{village} {len(mine)} 人"
        assert [c.value for c in ws["A"][2:]] == mine
