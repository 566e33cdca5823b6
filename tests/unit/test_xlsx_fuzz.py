"""A roster workbook damaged inside its XML (cells far off, huge numbers, shared strings out of range,
repeated or cut tags, entities, NUL) is read or refused with a FeedError: never another exception, a
panic or an abort of the process. Hypothesis mutates the parts of a real xlsxwriter workbook (shared
strings, merges, a hidden sheet) and re-zips them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.outputs.feedback import _file_sheet
from yibao.outputs.xlsx import write_xlsx
from yibao.readers import FeedError, read_drop, xlsx_sheets
from yibao.sources import load_sources

TOKENS = [b'<c r="XFD1048576"><v>1</v></c>', b'<row r="1048576">', b'<row r="99999999999">', b"</row>",
          b'<c r="A1" t="s"><v>999999999</v></c>', b'<mergeCell ref="A1:XFD1048576"/>',
          b'<dimension ref="A1:XFD1048576"/>', b"<c>", b"<c/>" * 50, b"<si><t>x</t></si>", b't="s" ', b't="e" ',
          b't="b" ', b't="d" ', b"<v>1e308</v>", b"<v>-1</v>", b"<v>NaN</v>", b'r="A0" ', b'r="ZZZZ1" ', b"<is><t>",
          b"</t></is>", b"\x00", b"&#0;", b"&#xFFFF;", b"<![CDATA[", b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
          b"<sheetData>", b"</sheetData>", b'<x:c r="B2">', b"r = 'C3' ", b'<c r="A2" s="99999"/>', b's="1" ',
          b'<mergeCells count="1"><mergeCell ref="Z900:Z901"/></mergeCells>', b'<mergeCell ref="B3:A1"/>',
          b'<mergeCell ref="A1:A2"/>', b'<mergeCell ref="C1:D3"/>', b'<mergeCell ref="B2:F2"/>']
PARTS = ["xl/worksheets/sheet1.xml"] * 4 + ["xl/sharedStrings.xml"] * 2 + [  # the roster's sheet most often
    "xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet2.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"]

# an edit at a tag of a part: cut bytes, insert a token, repeat a stretch, or blow up a number
edits = st.one_of(
    st.tuples(st.just("cut"), st.floats(0, 1), st.integers(1, 40)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(TOKENS)),
    st.tuples(st.just("repeat"), st.floats(0, 1), st.tuples(st.integers(1, 200), st.integers(2, 30))),
    st.tuples(st.just("number"), st.floats(0, 1), st.sampled_from([0, 9, 99999999, 2**31, 2**63, 10**30])),
)


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> dict[str, bytes]:
    path = tmp_path_factory.mktemp("fuzz") / "名单.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名单")
    sheet.merge_range(0, 0, 0, 5, "闻喜县民政局困难人口名单")
    sheet.write_row(1, 0, ["序号", "乡镇（街道）", "村（社区）", "姓名", "身份证号码", "人员类别"])
    for i in range(40):
        sheet.write_row(i + 2, 0, [i + 1, "桐城镇", "东村", f"张{i}", f"1408231980010{i:05d}", "特困人员"])
    sheet.merge_range(2, 1, 9, 1, "桐城镇")
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "填表说明")
    notes.hide()
    book.close()
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _edited(data: bytes, changes: list[tuple]) -> bytes:
    """``data`` with each change made where a tag starts (``where``: which one, relative), or at its end."""
    out = bytearray(data)
    for kind, where, what in changes:
        tags = [i for i, byte in enumerate(out) if byte == 60] or [len(out)]  # "<"
        at = tags[min(int(where * len(tags)), len(tags) - 1)]
        if kind == "insert" and where > 0.5:  # inside the tag: an attribute, or the text after it
            at = out.find(b" ", at, at + 40) + 1 or at
        if kind == "cut":
            del out[at : at + what]
        elif kind == "insert":
            out[at:at] = what
        elif kind == "repeat":
            length, times = what
            out[at:at] = out[at : at + length] * times
        else:
            digit = next((i for i in range(at, len(out)) if 48 <= out[i] <= 57), None)
            if digit is not None:
                out[digit : digit + 1] = str(what).encode()
    return bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=st.sampled_from(PARTS), changes=st.lists(edits, min_size=1, max_size=4))
def test_a_damaged_workbook_is_read_or_refused_with_a_feed_error(parts, tmp_path, part, changes):
    path = Path(tmp_path) / "民政" / "总名单.xlsx"
    path.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, _edited(data, changes) if name == part else data)
    try:
        sheets = xlsx_sheets(path, "民政/总名单.xlsx")
    except FeedError as exc:
        assert str(exc).startswith("文件 民政/总名单.xlsx ")  # says which file, and nothing of its cells
    else:
        assert sheets and all(cells is None or cells.shape[1] <= 256 for _, cells in sheets)
        _roster_comes_back(path, tmp_path)


def _roster_comes_back(path: Path, tmp_path: Path) -> None:
    """Read as the roster, the workbook's rows go back in its layout as a workbook openpyxl opens."""
    source = load_sources()["minzheng_zongmingdan"]
    try:
        frame = read_drop(path, source, "民政/总名单.xlsx")
    except FeedError as exc:
        assert "民政/总名单.xlsx" in str(exc)
        return
    rows = frame.head(3).assign(reason_codes="ID_CHECKSUM", reason_text="校验码错误", suggested_id="")
    sheets = [_file_sheet("名单", rows, source, layout) for layout in frame.attrs["layout"].values()]
    openpyxl.load_workbook(write_xlsx(tmp_path / "反馈.xlsx", sheets))
