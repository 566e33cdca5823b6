"""Oversized and malicious workbooks are refused from the zip directory and a streamed scan, before
calamine or openpyxl would allocate the grid they describe."""

from __future__ import annotations

import tracemalloc
import zipfile

import pytest
import xlsxwriter

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


def test_one_cell_at_xfd1048576_is_refused_within_bounded_memory(tmp_path):
    path = tmp_path / "总名单.xlsx"
    far_off_cell(path)
    assert path.stat().st_size < 32_000
    tracemalloc.start()
    with pytest.raises(FeedError, match=r"民政局的文件“民政/总名单.xlsx” 已拒收：.*16384 列"):
        read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 << 20


def test_far_off_rows_are_refused_by_cell_count(tmp_path):
    path = tmp_path / "a.xlsx"
    far_off_cell(path, row=1_000_000, col=40)
    with pytest.raises(XlsxRefused, match="1000001 行 × 41 列"):
        check_xlsx(path)


@pytest.mark.parametrize(("last", "refusal"), [("ZZZ9", "18278 列"), ("C9000000", "9000000 行 × 3 列")])
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
    monkeypatch.setattr(xlsx_limits, "_sheet_extent", lambda archive, info: scanned.append(info.filename))
    path = tmp_path / "a.xlsx"
    far_off_cell(path, row=row, col=col)  # 0-based: (99_999, 25) is Z100000, (10, 26) is AA11
    check_xlsx(path)
    assert scanned == (["xl/worksheets/sheet1.xml"] if exact else [])

