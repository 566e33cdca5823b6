"""Bound an XLSX drop (or a legacy ``.xls``) before any spreadsheet library opens it.

An XLSX is a zip of XML. Readers size their grid from the cells' positions and inflate every part in
memory, so a 32 KB file with one cell at ``XFD1048576`` or a zip bomb can ask for hundreds of GB. Here
the zip directory is checked first, then every worksheet part is streamed (a block at a time, never
whole) to find the last row and column its cells land on (as calamine places them, ``r`` attribute or
not), and the parts are inflated once to verify their declared sizes. Only a drop that passes is handed
to calamine. A legacy ``.xls`` is not compressed: its size and signature are checked, then each visible
worksheet's extent as its ``DIMENSIONS`` record states it (what Excel, WPS and xlwt write from the cells),
so a stray entry far off is refused like in an ``.xlsx``. A crafted or damaged file stating less than it
holds is parsed in a child process whose memory is capped (:mod:`yibao.xls_child`).
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import olefile

MAX_UNCOMPRESSED = 1 << 30  # all parts together, inflated
MAX_PART = 512 << 20  # one part (a worksheet or the shared strings), inflated
MAX_RATIO = 100  # inflated / compressed, for parts over RATIO_FLOOR (real sheets are ~5-15×)
RATIO_FLOOR = 1 << 20
MAX_COLUMNS = 256  # department templates have a dozen columns; Excel's limit is 16384
MAX_CELLS = 5_000_000  # rows × columns of the grid calamine builds (~40 bytes a cell read): ~330k rows of 15
MAX_XLS = 256 << 20  # a legacy workbook, held whole while read (5M cells are at most ~200 MB of records)
BLOCK = 1 << 20

# calamine places a ``<row>`` or ``<c>`` (whatever its namespace prefix) at its ``r`` attribute (the last one
# if repeated, quoted either way, letters in either case), else one after the row or cell before it, so a
# row of millions of bare ``<c/>`` is a grid no ``r`` names. Every writer we know spells each tag
# ``<row r="5"`` / ``<c r="A5"``: a sheet in that form is bounded by its ``r`` values alone, which
# literal-prefixed scans read at memory speed. A sheet with any other spelling is walked tag by tag.
_OTHER_CELL = re.compile(rb'<c(?! r=")')  # also hits <col>, <cfRule>…: the byte after the name tells
_OTHER_ROW = re.compile(rb'<row(?! r=")')
_NAME_END = b" \t\r\n/>"
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
# An attribute ending in ``r`` spelled with ``'`` or a space, tab or line break by the ``=`` or before it.
_SPACED_R = re.compile(rb"r(?:(?<=[\t\r\n]r)\s*=|\s+=|=\s|=')")
# In that form: a sheet whose every ``r`` is within ``Z99999`` (2.6M cells) is within every bound, and
# finding the first one beyond costs a fifth of collecting them all; past it, rows and columns are
# collected apart so each scan yields few distinct values.
SMALL_ROWS, SMALL_COLUMNS = 99_999, 26
_BEYOND_SMALL = re.compile(rb' r="(?![A-Z]?\d{1,5}")')
_COLUMNS = re.compile(rb' r="([A-Za-z]{1,3})\d')
_ROWS = re.compile(rb' r="[A-Za-z]{0,3}(\d{1,7})"')
_MALFORMED = re.compile(rb' r="(?![A-Za-z]{0,3}\d{1,7}")')
# Any spelling, for the walk.
_TAG = re.compile(rb"<(?:[\w.-]+:)?(c|row)(?=[\s/>])([^>]*)>")
_REFERENCE = re.compile(rb"\sr\s*=\s*([\"'])(.*?)\1", re.DOTALL)
_POSITION = re.compile(rb"([A-Za-z]{0,3})(\d{1,7})")
# The same questions asked of the bytes as an array (:func:`_plainly_small`): NumPy answers them in under
# half the expressions' time for a sheet as writers spell it, without holding the interpreter lock that a
# CSV read in the other thread needs.
_IS = {name: np.isin(np.arange(256), list(members)) for name, members in (  # byte → is it one of them
    ("space", b" \t\n\r\x0b\x0c"), ("name_end", _NAME_END), ("line", b"\t\r\n"), ("digit", b"0123456789"),
    ("upper", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"))}
_PAD = 8  # NUL bytes after the text (2 before it): every offset read stays inside, and none matches a test
_DIMENSION = re.compile(rb"dimension\b[^>]*?\sref\s*=\s*[\"'](?:[A-Za-z]{1,3}\d{1,7}:)?([A-Za-z]{1,3})(\d{1,7})[\"']")


class XlsxRefused(ValueError):
    """The drop exceeds a bound; the message says which, in Chinese, without any cell content."""


def column_number(letters: bytes) -> int:
    """``A`` → 1, ``XFD`` → 16384, in either case.

    >>> column_number(b"A"), column_number(b"AA"), column_number(b"XFD"), column_number(b"xfd")
    (1, 27, 16384, 16384)
    """
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _check_extent(rows: int, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise XlsxRefused(f"工作表有数据或格式的单元格远至第 {columns} 列（上限 {MAX_COLUMNS} 列），"
                          "请删除多余的列后另存为新文件")
    if rows * columns > MAX_CELLS:
        raise XlsxRefused(f"工作表范围 {rows:,} 行 × {columns} 列超过上限 {MAX_CELLS:,} 个单元格（常见原因：数据区"
                          "以外远处的单元格误输入了内容或空格），请删除数据区以外的行和列后另存为新文件")


def _malformed() -> XlsxRefused:
    return XlsxRefused("工作表中有无法识别的单元格位置或超长的 XML 标签，文件疑似被篡改，请用 Excel 另存为新文件")


def _segments(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A part's text a block at a time, each cut after its last ``>`` (the rest opens the next), so no
    tag is ever split."""
    carry = b""
    with archive.open(info) as part:
        while block := part.read(BLOCK):
            text = carry + block
            cut = text.rfind(b">") + 1
            if len(text) - cut > BLOCK:
                raise _malformed()
            text, carry = text[:cut], text[cut:]
            yield text
    yield carry


def _irregular(text: bytes) -> bool:
    """Does any row or cell tag here depart from ``<row r="…"`` / ``<c r="…"``?"""
    return bool(
        _PREFIXED.search(text)
        or _SPACED_R.search(text)
        or any(text[m.end():m.end() + 1] in _NAME_END for m in _OTHER_CELL.finditer(text))
        or any(text[m.end():m.end() + 1] in _NAME_END for m in _OTHER_ROW.finditer(text))
    )


def _plainly_small(text: bytes) -> bool:
    """Is this text plainly of the small regular form: no namespace prefix, no ``r`` spelled with ``'`` or
    spaces, every ``<c`` and ``<row`` tag going on `` r="``, every reference within ``Z99999``? True only when
    :func:`_irregular` and ``_BEYOND_SMALL`` would find nothing; False asks them (an ``=`` in a cell's text,
    the sheet's head with its ``xmlns:r``).

    >>> _plainly_small(b'<row r="7"><c r="E7" t="s"><v>3</v></c></row>'), _plainly_small(b"<row r='7'>")
    (True, False)
    >>> _plainly_small(b'<row r="7"><c r="E100000"/></row>'), _plainly_small(b'<row r="7"><c/></row>')
    (False, False)
    """
    space, name_end, line, digit, upper = (_IS[k] for k in ("space", "name_end", "line", "digit", "upper"))
    arr = np.frombuffer(b"\0\0" + text + b"\0" * _PAD, np.uint8)
    end = 2 + len(text)
    after = arr[np.flatnonzero(arr == ord(":")) + 1]
    if ((after == ord("c")) | (after == ord("r"))).any():  # maybe a prefixed tag
        return False
    eq = np.flatnonzero(arr == ord("="))
    before = arr[eq - 1]
    if ((arr[eq + 1] != ord('"')).any() or space[before].any()  # r=' r= " r ="
            or ((before == ord("r")) & line[arr[eq - 2]]).any()):  # a line break before r=
        return False
    lt = np.flatnonzero(arr == ord("<"))
    first = arr[lt + 1]
    rows = lt[first == ord("r")]
    for at in (lt[first == ord("c")] + 2, rows[(arr[rows + 2] == ord("o")) & (arr[rows + 3] == ord("w"))] + 4):
        if len(at) and at[-1] >= end:  # a tag's name at the very end
            return False
        at = at[name_end[arr[at]]]  # <c and <row, not <col or <rows
        if any((arr[at + i] != ch).any() for i, ch in enumerate(b' r="')):
            return False
    start = eq[(before == ord("r")) & (arr[eq - 2] == ord(" "))] + 2  # each r="…: one letter at most, then
    start += upper[arr[start]]
    alive = digit[arr[start]]  # still in its digits
    closed = np.zeros(len(start), bool)  # its digits, five at most, end on the closing quote
    for k in range(1, 6):
        following = arr[start + k]
        closed |= alive & (following == ord('"'))
        alive &= digit[following]
    return bool(closed.all())


def _survey(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """``small`` (regular, within ``Z99999``), ``regular`` or ``irregular``; a ``<dimension>`` beyond the
    bounds is refused on the way."""
    small = True
    for text in _segments(archive, info):
        for letters, number in _DIMENSION.findall(text):
            _check_extent(int(number), column_number(letters))
            small = small and column_number(letters) <= SMALL_COLUMNS and int(number) <= SMALL_ROWS
        if _plainly_small(text):
            continue
        if _irregular(text):
            return "irregular"
        small = small and not _BEYOND_SMALL.search(text)
    return "small" if small else "regular"


def _referenced_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """The largest row and column any ``r`` names, in a sheet of the regular form."""
    rows = columns = 0
    for text in _segments(archive, info):
        if _MALFORMED.search(text):
            raise _malformed()
        columns = max([columns, *map(column_number, set(_COLUMNS.findall(text)))])
        rows = max([rows, *map(int, set(_ROWS.findall(text)))])
        _check_extent(rows, max(columns, 1))
    return rows, columns


def _placed_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """The last row and column the cells land on, placed as calamine places them."""
    rows = columns = row = column = 0
    for text in _segments(archive, info):
        for tag in _TAG.finditer(text):
            references = _REFERENCE.findall(tag.group(2))
            position = _POSITION.fullmatch(references[-1][1]) if references else None
            if references and not position:
                raise _malformed()
            if tag.group(1) == b"row":
                row, column = (int(position.group(2)) if position else row + 1), 0
            elif position and position.group(1):
                column = column_number(position.group(1))
                rows = max(rows, int(position.group(2)))
            else:
                column += 1
            rows, columns = max(rows, row), max(columns, column)
            if columns > MAX_COLUMNS:
                break
        _check_extent(rows, max(columns, 1))
    return rows, columns


XLS_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file, as legacy Excel and WPS write .xls


# BIFF records (MS-XLS 2.3): the globals' sheet list, a substream's end, a sheet's stated extent
BOUNDSHEET, EOF, DIMENSIONS, FILEPASS = 0x0085, 0x000A, 0x0200, 0x002F
SHEET_HEAD_RECORDS = 256  # DIMENSIONS comes among a sheet's first records, before any cell


def _records(stream: bytes, pos: int):
    """(kind, body offset, size) of the BIFF records from ``pos`` to the end of that substream."""
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        yield kind, pos + 4, size
        if kind == EOF:
            return
        pos += 4 + size


def xls_extents(stream: bytes) -> list[tuple[int, int]]:
    """(rows, columns) each visible worksheet states in its ``DIMENSIONS`` record (BIFF8 or BIFF5); a
    workbook with an open password (``FILEPASS``) is refused: its records cannot be read."""
    globals_ = list(_records(stream, 0))
    if any(kind == FILEPASS for kind, _, _ in globals_):
        raise XlsxRefused(ENCRYPTED)
    sheets = [struct.unpack_from("<I", stream, at)[0] for kind, at, size in globals_
              if kind == BOUNDSHEET and size >= 6 and stream[at + 4] == 0 and stream[at + 5] == 0]
    extents = []
    for offset in sheets:
        for n, (kind, at, size) in enumerate(_records(stream, offset)):
            if kind == DIMENSIONS and size >= 8:
                _, rows, _, columns = struct.unpack_from("<IIHH" if size >= 14 else "<HHHH", stream, at)
                extents.append((rows, columns))
                break
            if n == SHEET_HEAD_RECORDS:
                break
    return extents


def check_xls(path: Path) -> None:
    """Raise :class:`XlsxRefused` unless ``path`` is a compound file of at most :data:`MAX_XLS` bytes whose
    visible worksheets state extents within the bounds."""
    size = path.stat().st_size
    if size > MAX_XLS:
        raise XlsxRefused(f"文件 {size >> 20} MB，超过上限 {MAX_XLS >> 20} MB")
    with path.open("rb") as head:
        if head.read(len(XLS_SIGNATURE)) != XLS_SIGNATURE:
            raise XlsxRefused("不是有效的旧版 Excel（.xls）文件，请用 Excel 或 WPS 打开后另存为 .xlsx")
    try:
        with olefile.OleFileIO(str(path)) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                raise XlsxRefused("文件中没有 Excel 工作簿，请用 Excel 或 WPS 打开后另存为 .xlsx")
            stream = ole.openstream(name).read()
    except (OSError, struct.error, ValueError) as exc:  # olefile's own errors are OSError subclasses
        raise XlsxRefused(f"文件已损坏：{type(exc).__name__}") from None
    for rows, columns in xls_extents(stream):
        _check_extent(rows, max(columns, 1))


ENCRYPTED = "文件设置了打开密码，系统无法读取：请取消密码（文件 → 信息 → 保护工作簿）后重新报送"


def _not_a_zip(path: Path) -> XlsxRefused | None:
    """What an ``.xlsx`` that is no zip usually is: a workbook with an open password (Office keeps it in a
    compound file) or a legacy ``.xls`` renamed; None for anything else."""
    try:
        with path.open("rb") as head:
            if head.read(len(XLS_SIGNATURE)) != XLS_SIGNATURE:
                return None
        with olefile.OleFileIO(str(path)) as ole:
            if ole.exists("EncryptionInfo"):
                return XlsxRefused(ENCRYPTED)
            if ole.exists("Workbook") or ole.exists("Book"):
                return XlsxRefused("这是旧版 .xls 文件（扩展名被改成了 .xlsx），请用 Excel 或 WPS 打开后另存为 .xlsx")
    except OSError:
        return None
    return None


def check_xlsx(path: Path) -> None:
    """Raise :class:`XlsxRefused` unless every bound holds; memory stays at a few blocks."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_a_zip(path) or XlsxRefused(f"不是有效的 Excel（.xlsx）文件：{type(exc).__name__}") from None
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
                    form = _survey(archive, info)
                    if form == "regular":
                        _referenced_extent(archive, info)
                    elif form == "irregular":
                        _placed_extent(archive, info)
                else:
                    with archive.open(info) as part:  # inflating to the end verifies the declared size (CRC)
                        while part.read(BLOCK):
                            pass
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxRefused(f"文件已损坏或内容与声明不符：{type(exc).__name__}") from None
