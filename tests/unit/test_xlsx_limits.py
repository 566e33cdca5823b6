"""Oversized and malicious workbooks are refused from the zip directory and a streamed scan, before
calamine or openpyxl would allocate the grid they describe."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao import xlsx_limits
from yibao.readers import FeedError, read_drop
from yibao.sources import load_sources
from yibao.xlsx_limits import XlsxRefused, check_xlsx


def far_off_cell(path, row=1048575, col=16383):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_string(0, 0, "序号")
    ws.write_string(row, col, "x")
    wb.close()


def zipped(path, parts: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def workbook(path, rows: bytes):
    """A minimal workbook calamine opens, whose one sheet's ``<sheetData>`` is ``rows`` as given."""
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    zipped(path, {
        "[Content_Types].xml": (
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            b'<Override PartName="/xl/worksheets/sheet1.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook {main} xmlns:r="{relationships}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": f"<worksheet {main}><sheetData>".encode() + rows + b"</sheetData></worksheet>",
    })


def text(value: str = "x", attributes: str = "") -> bytes:
    return f'<c{attributes} t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def test_one_cell_at_xfd1048576_is_refused_within_bounded_memory(tmp_path):
    path = tmp_path / "总名单.xlsx"
    far_off_cell(path)
    assert path.stat().st_size < 32_000
    tracemalloc.start()
    with pytest.raises(FeedError, match=r"文件 “民政/总名单.xlsx”（民政局） 已拒收：.*16384 列"):
        read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 << 20


def test_far_off_rows_are_refused_by_cell_count(tmp_path):
    path = tmp_path / "a.xlsx"
    far_off_cell(path, row=1_000_000, col=40)
    with pytest.raises(XlsxRefused, match="1,000,001 行 × 41 列"):
        check_xlsx(path)


@pytest.mark.parametrize(("last", "refusal"), [("ZZZ9", "18278 列"), ("C9000000", "9,000,000 行 × 3 列")])
def test_a_lying_dimension_is_refused_even_without_cells_there(tmp_path, last, refusal):
    """Columns beyond the limit, and rows beyond Z99999 (past the one-search shortcut) alike."""
    sheet = f'<worksheet><dimension ref="A1:{last}"/><sheetData><row r="1"><c r="A1"/></row></sheetData></worksheet>'
    path = tmp_path / "a.xlsx"
    zipped(path, {"xl/worksheets/sheet1.xml": sheet.encode()})
    with pytest.raises(XlsxRefused, match=refusal):
        check_xlsx(path)


def test_a_zip_bomb_is_refused_by_its_compression_ratio(tmp_path):
    path = tmp_path / "a.xlsx"
    zipped(path, {"xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * (40 << 20) + b"</worksheet>"})
    assert path.stat().st_size < 100_000
    with pytest.raises(XlsxRefused, match="压缩比异常"):
        check_xlsx(path)


def test_huge_shared_strings_are_refused_by_size(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_limits, "MAX_PART", 1 << 20)
    path = tmp_path / "a.xlsx"
    zipped(path, {"xl/sharedStrings.xml": b"<sst><si><t>" + b"\xe5\xbc\xa0" * 400_000 + b"</t></si></sst>"})
    with pytest.raises(XlsxRefused, match="sharedStrings.xml 解压后"):
        check_xlsx(path)


def test_a_part_larger_than_declared_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    zipped(path, {"xl/sharedStrings.xml": b"<sst>" + b"a" * 5000 + b"</sst>"})
    data = bytearray(path.read_bytes())
    # Shrink the declared size in the central directory (bytes 24..27 of the entry) to 100 bytes.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(XlsxRefused, match="已损坏"):
        check_xlsx(path)


def test_an_ordinary_template_passes(tmp_path):
    path = tmp_path / "a.xlsx"
    far_off_cell(path, row=200, col=7)
    check_xlsx(path)


def test_the_small_sheet_shortcut_stays_within_every_bound():
    assert xlsx_limits.SMALL_COLUMNS <= xlsx_limits.MAX_COLUMNS
    assert xlsx_limits.SMALL_ROWS * xlsx_limits.SMALL_COLUMNS <= xlsx_limits.MAX_CELLS


@pytest.mark.parametrize(("row", "col", "exact"), [(99_998, 25, False), (99_999, 25, True), (10, 26, True)])
def test_only_a_reference_beyond_z99999_costs_the_exact_scan(tmp_path, monkeypatch, row, col, exact):
    scanned = []
    monkeypatch.setattr(xlsx_limits, "_referenced_extent", lambda archive, info: scanned.append(info.filename))
    path = tmp_path / "a.xlsx"
    far_off_cell(path, row=row, col=col)  # 0-based: (99_999, 25) is Z100000, (10, 26) is AA11
    check_xlsx(path)
    assert scanned == (["xl/worksheets/sheet1.xml"] if exact else [])



def spellings(far: str, bare: int) -> dict[str, bytes]:
    """Rows whose last cell lands in column ``far`` (or after ``bare`` bare cells), each spelling its place
    other than as ``<c r="A5"``: calamine reads them all, so each would reach the grid unchecked."""
    first = text(attributes=' r="A1"')
    return {
        "bare cells follow one another": b'<row r="1">' + first + b"<c/>" * bare + text() + b"</row>",
        "bare rows follow one another": b"<row/>" * 40 + b"<row>" + first + text(attributes=f' r="{far}1"') + b"</row>",
        "lower-case letters": b'<row r="1">' + first + text(attributes=f' r="{far.lower()}1"') + b"</row>",
        "single quotes": b"<row r='1'>" + first + text(attributes=f" r='{far}1'") + b"</row>",
        "spaces around =": b'<row r="1">' + first + text(attributes=f' r = "{far}1"') + b"</row>",
        "a line break before r": b'<row r="1">' + first + text(attributes=f'\nr="{far}1"') + b"</row>",
        "a second r, which wins": b'<row r="1">' + first + text(attributes=f" r=\"B1\" r='{far}1'") + b"</row>",
        "a namespace prefix": b'<row r="1">' + first + b"<x:c/>" * bare + text().replace(b"c ", b"x:c ").replace(
            b"/c>", b"/x:c>") + b"</row>",
    }


@pytest.mark.parametrize("name", spellings("XFD", 300))
def test_cells_placed_without_a_plain_reference_are_bounded_where_calamine_puts_them(tmp_path, name):
    path = tmp_path / "a.xlsx"
    workbook(path, spellings("XFD", 300)[name])
    with pytest.raises(XlsxRefused, match=r"远至第 \d+ 列（上限 256 列）"):
        check_xlsx(path)
    # Within the bound it passes, and the walk puts the last cell where calamine does (GR = column 200).
    workbook(path, spellings("GR", 198)[name])
    check_xlsx(path)
    archive = zipfile.ZipFile(path)
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert xlsx_limits._placed_extent(archive, archive.getinfo("xl/worksheets/sheet1.xml"))[1] == sheet.end[1] + 1 == 200


# Past its first block (the sheet's head), a sheet is looked at by :func:`xlsx_limits._plainly_small`.
PLAIN_ROWS = b"".join(b'<row r="%d">' % n + text(attributes=f' r="A{n}"') + b"</row>" for n in range(1, 40_000))


@pytest.mark.parametrize("name", spellings("XFD", 300))
def test_every_spelling_is_bounded_after_a_megabyte_of_plain_rows(tmp_path, name):
    assert len(PLAIN_ROWS) > 2 * xlsx_limits.BLOCK
    path = tmp_path / "a.xlsx"
    workbook(path, PLAIN_ROWS + spellings("XFD", 300)[name])
    with pytest.raises(XlsxRefused, match=r"远至第 \d+ 列（上限 256 列）"):
        check_xlsx(path)


def test_a_reference_beyond_z99999_after_a_megabyte_of_plain_rows_costs_the_exact_scan(tmp_path, monkeypatch):
    scanned = []
    monkeypatch.setattr(xlsx_limits, "_referenced_extent", lambda archive, info: scanned.append(info.filename))
    path = tmp_path / "a.xlsx"
    workbook(path, PLAIN_ROWS + b'<row r="100000">' + text(attributes=' r="A100000"') + b"</row>")
    check_xlsx(path)
    assert scanned == ["xl/worksheets/sheet1.xml"]


def test_a_writers_sheet_is_answered_by_the_array_scan_past_its_head(tmp_path, monkeypatch):
    asked = []
    irregular = xlsx_limits._irregular
    monkeypatch.setattr(xlsx_limits, "_irregular", lambda text: asked.append(len(text)) or irregular(text))
    path = tmp_path / "a.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row in range(40_000):
        sheet.write_row(row, 0, [row, "桐城镇", "张三", "140823194001011239", "特困"])
    book.close()
    archive = zipfile.ZipFile(path)
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 3 * xlsx_limits.BLOCK
    assert xlsx_limits._survey(archive, info) == "small"
    assert len(asked) == 1  # only the head, with its xmlns:r


def test_an_equals_sign_in_a_cells_text_is_left_to_the_expressions():
    plain = b'<row r="3"><c r="A3" t="inlineStr"><is><t>%s</t></is></c></row>'
    assert xlsx_limits._plainly_small(plain % b"x") and not xlsx_limits._plainly_small(plain % b"a = b")


FRAGMENTS = [b'<row r="1">', b'<row r="99999">', b'<row r="100000">', b'<c r="A1"', b'<c r="Z99999"', b'<c r="AA1"',
             b'<c r="A100000"', b'<c r="a1"', b'<c r=""', b'<c r="1"', b'<c r="A"', b"<c r='A1'", b'<c  r="A1"',
             b'<c\tr="A1"', b'<c r = "A1"', b'<c r= "A1"', b'<c\nr="A1"', b"<c/>", b"<c>", b"<row>", b"<row/>",
             b"<rows", b'<col min="1"/>', b'<cfRule type="x"/>', b'<x:c r="A1">', b'<x:row r="1">', b":row ", b":c>",
             b' t="s"', b' s="1"', b">", b"<v>1</v>", b"</c>", b"</row>", b"<is><t>a = b</t></is>", b"\n", b"\r",
             b"\t", b"\x0b", b" ", b"=", b'"', b"'", b"r", b"<", b"c", b"row", b"Z", b"A", b"9", b"0", b'"/>',
             b'xmlns:r="x"', b'<c r="A1" r="B2"', b"<c r=\"B1\" r='XFD1'", b'<c\r\nr="A1"', b"r='",
             b' r="A123456"', b' r="AB12"', b' r="A12345"', b' r="A99999"', b"<c", b"<row",  # and a second r:
             b' r ="XFD1"', b'\nr="XFD1"', b"\tr='XFD1'", b' r= "XFD1"', b' r\t="XFD1"', b'\rr="XFD1"']


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(b"".join), st.binary(max_size=60)))
def test_the_array_scan_says_plain_only_where_the_expressions_find_nothing(text):
    if xlsx_limits._plainly_small(text):
        assert not xlsx_limits._irregular(text) and not xlsx_limits._BEYOND_SMALL.search(text)


def test_bare_rows_count_towards_the_cell_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_limits, "MAX_CELLS", 10_000)
    path = tmp_path / "a.xlsx"
    workbook(path, b"<row/>" * 5_000 + b"<row>" + text() + text() + text() + b"</row>")
    with pytest.raises(XlsxRefused, match="5,001 行 × 3 列"):
        check_xlsx(path)


def test_a_sheet_without_any_reference_is_read_where_calamine_reads_it(tmp_path):
    path = tmp_path / "a.xlsx"
    workbook(path, b"".join(b"<row>" + text("1") + text("2") + text("3") + b"</row>" for _ in range(50)))
    check_xlsx(path)
    archive = zipfile.ZipFile(path)
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert xlsx_limits._survey(archive, info) == "irregular"
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert xlsx_limits._placed_extent(archive, info) == (sheet.end[0] + 1, sheet.end[1] + 1) == (50, 3)


def test_writers_spelling_is_regular_and_takes_no_walk(tmp_path):
    path = tmp_path / "a.xlsx"
    far_off_cell(path, row=200, col=7)
    archive = zipfile.ZipFile(path)
    assert xlsx_limits._survey(archive, archive.getinfo("xl/worksheets/sheet1.xml")) == "small"


def test_an_unreadable_position_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    workbook(path, b'<row r="1">' + text(attributes=' r="A1"') + text(attributes=' r="B-1"') + b"</row>")
    with pytest.raises(XlsxRefused, match="无法识别的单元格位置"):
        check_xlsx(path)


XLS = Path(__file__).parents[1] / "fixtures" / "xls"


def test_a_legacy_xls_is_bounded_by_its_size_and_must_be_a_compound_file(tmp_path, monkeypatch):
    xlsx_limits.check_xls(XLS / "总名单.xls")
    monkeypatch.setattr(xlsx_limits, "MAX_XLS", 1024)
    with pytest.raises(XlsxRefused, match="超过上限"):
        xlsx_limits.check_xls(XLS / "总名单.xls")
    path = tmp_path / "总名单.xls"
    path.write_bytes(b"<html>exported from a web page</html>")
    with pytest.raises(XlsxRefused, match=r"不是有效的旧版 Excel（\.xls）文件"):
        xlsx_limits.check_xls(path)
    path.write_bytes(xlsx_limits.XLS_SIGNATURE + b"\x00" * 1000)  # the signature, then nothing of the format
    with pytest.raises(XlsxRefused, match="已损坏"):
        xlsx_limits.check_xls(path)


def test_a_space_typed_far_off_in_a_legacy_xls_is_refused_before_the_grid_is_built():
    """``远处单元格.xls`` (written once with xlwt 1.3, like ``总名单.xls``): the roster's header and one person,
    and a space at GS60001, which makes calamine's grid 60,001 × 201 cells."""
    with pytest.raises(XlsxRefused, match="60,001 行 × 201 列超过上限"):
        xlsx_limits.check_xls(XLS / "远处单元格.xls")


def test_a_workbook_with_an_open_password_is_refused_with_what_to_do(tmp_path):
    """``tests/fixtures/xlsx/设置了打开密码.xlsx``: a roster encrypted once with msoffcrypto-tool (password
    yibao), as Excel and WPS save a workbook with an open password: a compound file, not a zip."""
    with pytest.raises(XlsxRefused, match="文件设置了打开密码"):
        check_xlsx(Path(__file__).parents[1] / "fixtures" / "xlsx" / "设置了打开密码.xlsx")
    stream = (struct.pack("<HH", 0x0809, 16) + bytes(16) + struct.pack("<HH", xlsx_limits.FILEPASS, 6) + bytes(6)
              + struct.pack("<HH", xlsx_limits.EOF, 0))  # a legacy .xls with a password: FILEPASS in its globals
    with pytest.raises(XlsxRefused, match="文件设置了打开密码"):
        xlsx_limits.xls_extents(stream)
    renamed = tmp_path / "总名单.xlsx"
    renamed.write_bytes((XLS / "总名单.xls").read_bytes())
    with pytest.raises(XlsxRefused, match=r"这是旧版 \.xls 文件"):
        check_xlsx(renamed)
