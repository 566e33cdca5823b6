"""Bound an XLSX drop before any spreadsheet library opens it.

An XLSX is a zip of XML. Readers size their grid from the cells' positions and inflate every part in
memory, so a 32 KB file with one cell at ``XFD1048576`` or a zip bomb can ask for hundreds of GB. Here
the zip directory is checked first, then every worksheet part is streamed (a block at a time, never
whole) to find the real last row and column, and the parts are inflated once to verify their declared
sizes. Only a drop that passes is handed to calamine.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

MAX_UNCOMPRESSED = 1 << 30  # all parts together, inflated
MAX_PART = 512 << 20  # one part (a worksheet or the shared strings), inflated
MAX_RATIO = 100  # inflated / compressed, for parts over RATIO_FLOOR (real sheets are ~5-15×)
RATIO_FLOOR = 1 << 20
MAX_COLUMNS = 256  # department templates have a dozen columns; Excel's limit is 16384
MAX_CELLS = 20_000_000  # rows × columns of the grid a reader would build
BLOCK = 1 << 20

# Every ``r`` attribute: a cell's (``A5``: letters and row) or a row's (``5``: no letters), columns and rows
# scanned apart so each scan yields few distinct values. The literal prefix `` r="`` keeps the scans at
# memory speed; ``<dimension ref=…>`` is read from the part's first block.
_COLUMNS = re.compile(rb" r=\"([A-Z]{1,3})\d")
_ROWS = re.compile(rb" r=\"[A-Z]{0,3}(\d{1,7})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"(?:[A-Z]{1,3}\d{1,7}:)?([A-Z]{1,3})(\d{1,7})\"")
# A sheet whose every reference is within ``Z99999`` (one letter, five digits: 2.6M cells) is within every
# bound; finding the first reference beyond that costs a fifth of collecting them all.
SMALL_ROWS, SMALL_COLUMNS = 99_999, 26
_BEYOND_SMALL = re.compile(rb" r=\"(?:[A-Z]{2}|[A-Z]{0,3}\d{6})")


class XlsxRefused(ValueError):
    """The drop exceeds a bound; the message says which, in Chinese, without any cell content."""


def column_number(letters: bytes) -> int:
    """``A`` → 1, ``XFD`` → 16384.

    >>> column_number(b"A"), column_number(b"AA"), column_number(b"XFD")
    (1, 27, 16384)
    """
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check_extent(rows: int, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise XlsxRefused(f"工作表有数据或格式的单元格远至第 {columns} 列（上限 {MAX_COLUMNS} 列），"
                          "请删除多余的列后另存为新文件")
    if rows * columns > MAX_CELLS:
        raise XlsxRefused(f"工作表范围 {rows} 行 × {columns} 列超过上限 {MAX_CELLS} 个单元格，"
                          "请删除多余的行后另存为新文件")


def _blocks(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A part's text a block at a time, each with the last bytes of the one before (a tag split across two
    blocks is seen whole in the next round); True beside the first."""
    tail = b""
    with archive.open(info) as part:
        first = True
        while block := part.read(BLOCK):
            text = tail + block
            yield text, first
            first = False
            tail = text[-256:]


def _is_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Are the ``<dimension>`` and every ``r`` attribute within ``Z99999``?"""
    for text, first in _blocks(archive, info):
        dimension = _DIMENSION.findall(text) if first else []
        if any(column_number(letters) > SMALL_COLUMNS or int(number) > SMALL_ROWS for letters, number in dimension):
            return False
        if _BEYOND_SMALL.search(text):
            return False
    return True


def _sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """The largest row and column that ``<dimension>`` or any ``r`` attribute (cells, rows) names."""
    rows = columns = 0
    for text, first in _blocks(archive, info):
        dimension = _DIMENSION.findall(text) if first else []
        letters = set(_COLUMNS.findall(text)).union(letters for letters, _ in dimension)
        numbers = set(_ROWS.findall(text)).union(number for _, number in dimension)
        columns = max([columns, *map(column_number, letters)])
        rows = max([rows, *map(int, numbers)])
        _check_extent(rows, max(columns, 1))
    return rows, columns


def check_xlsx(path: Path) -> None:
    """Raise :class:`XlsxRefused` unless every bound holds; memory stays at a few blocks."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxRefused(f"不是有效的 Excel（.xlsx）文件：{type(exc).__name__}") from None
    with archive:
        parts = archive.infolist()
        total = sum(i.file_size for i in parts)
        if total > MAX_UNCOMPRESSED:
            raise XlsxRefused(f"解压后共 {total >> 20} MB，超过上限 {MAX_UNCOMPRESSED >> 20} MB")
        for info in parts:
            if info.file_size > MAX_PART:
                raise XlsxRefused(f"其中 {info.filename} 解压后 {info.file_size >> 20} MB，超过上限 {MAX_PART >> 20} MB")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise XlsxRefused(f"其中 {info.filename} 压缩比异常（{info.file_size // max(info.compress_size, 1)}:1），"
                                  "疑似压缩炸弹")
        try:
            for info in parts:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    if not _is_small(archive, info):
                        _sheet_extent(archive, info)
                else:
                    with archive.open(info) as part:  # inflating to the end verifies the declared size (CRC)
                        while part.read(BLOCK):
                            pass
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxRefused(f"文件已损坏或内容与声明不符：{type(exc).__name__}") from None
