"""The one XLSX writer for everything a person opens: lists, feedback workbooks, reports, transfer requests.

Why not xlsxwriter cell by cell: it writes ~130,000 cells/s here, so a county's 公示 lists (900,000 rows)
would take most of a minute. This writer builds each sheet's XML column-wise with Arrow compute and
streams it into the zip, millions of cells per second, and still guarantees what a clerk needs:

- every text cell is a *string* cell (shared-string table), never a formula; text starting with ``= + - @`` TAB or CR
  also gets Excel's quote prefix, so editing the cell cannot turn it into a formula (formula injection);
- Chinese headers in a bold, shaded, frozen header row with an autofilter; optional title rows above it
  (the departments' templates, e.g. 闻喜 附件2), merged across the table;
- column widths that fit CJK text (a CJK character counts double);
- integer fen shown as yuan numbers ``#,##0.00`` (written as exact decimal text, summable in Excel); dates as
  real dates shown ``yyyy-mm-dd``;
- the file appears atomically (temp file, then ``os.replace``): a reader never sees half a workbook.

>>> import tempfile, openpyxl
>>> frame = pd.DataFrame({"name": ["张三", "=1+1"], "fen": [38000, -5]})
>>> with tempfile.TemporaryDirectory() as d:
...     path = write_xlsx(Path(d) / "t.xlsx", [Sheet("名单", frame, {"name": "姓名", "fen": "金额"},
...                                                 money_fen=("fen",))])
...     ws = openpyxl.load_workbook(path)["名单"]
...     [[c.value for c in row] for row in ws.iter_rows()], ws["A3"].data_type, ws.freeze_panes
([['姓名', '金额'], ['张三', 380.0], ['=1+1', -0.05]], 's', 'A2')
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib

ROWS_PER_CHUNK = 50_000  # sheet XML is built and compressed this many rows at a time (bounded memory)
WRITERS = min(os.cpu_count() or 1, 4)  # threads compressing per-group workbooks
MAX_WIDTH, MIN_WIDTH = 60, 6
ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
# bytes that never need escaping (all but ``& < >`` and the control characters XML forbids)
XML_PLAIN_BYTES = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b in b"&<>"))
FORMULA_CHARS = ["=", "+", "-", "@", "\t", "\r"]  # a cell starting with one could be read as a formula
SPACE_CHARS = [" ", "\t", "\r", "\n", "\u3000"]
# cellXfs indexes in STYLES
STYLE_HEADER, STYLE_QUOTED, STYLE_MONEY, STYLE_TITLE, STYLE_PERCENT, STYLE_DATE, STYLE_NOTE = 1, 2, 3, 4, 5, 6, 7
LINE_HEIGHT = 15  # points: a row of 11-point text (the sheets' default row height)
TITLE_SCALE = 14 / 11  # the title's font size (STYLE_TITLE) against the sheets' 11 points
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's date serials (1900 system)


@dataclass(frozen=True)
class Sheet:
    """One sheet: a frame in display order, its Chinese headers, optional title rows and number columns."""

    name: str
    frame: pd.DataFrame
    headers: Mapping[str, str] | None = None
    title: tuple[str | tuple[str, ...], ...] = ()  # a line over the whole sheet, or a row of cells by column
    money_fen: tuple[str, ...] = ()  # integer fen → yuan numbers with two decimals
    percent: tuple[str, ...] = ()  # ratios (0.9123) shown as 91.23%
    # (row, column, last row, last column), 0-based, in the rows of cells by column and the header (row
    # len(title)): a two-row header's 人员信息 over its columns, 序号 down over both rows
    header_merges: tuple[tuple[int, int, int, int], ...] = ()
    header_rows: int = 0  # the last title rows are the header's own (a super-header): shaded like it

    def __post_init__(self) -> None:
        lines = {i for i, t in enumerate(self.title) if isinstance(t, str)}
        if any(not 0 <= top <= bottom <= len(self.title) or lines & set(range(top, bottom + 1)) or
               not 0 <= left <= right < len(self.frame.columns) for top, left, bottom, right in self.header_merges):
            raise ValueError(f"工作表“{self.name}”的表头合并区域超出表头或与标题行重叠")
        if any(overlap(a, b) for n, a in enumerate(self.header_merges) for b in self.header_merges[:n]):
            raise ValueError(f"工作表“{self.name}”的表头合并区域相互重叠")  # Excel would repair the file
        if not 0 <= self.header_rows <= len(self.title) or lines & set(range(len(self.title) - self.header_rows,
                                                                               len(self.title))):
            raise ValueError(f"工作表“{self.name}”的表头行须是按列的行，不能是标题行")


def overlap(a: Sequence[int], b: Sequence[int]) -> bool:
    """Do two ranges (row, column, last row, last column) share a cell?

    >>> overlap((1, 0, 2, 0), (1, 1, 1, 2)), overlap((1, 0, 2, 1), (2, 1, 2, 3))
    (False, True)
    """
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA.

    >>> [column_letter(i) for i in (0, 25, 26, 16383)]
    ['A', 'Z', 'AA', 'XFD']
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def display_width(text: pa.Array) -> int:
    """The widest value in Excel character units: CJK characters (3 UTF-8 bytes) count two."""
    if len(text) == 0 or text.null_count == len(text):
        return 0
    width = pc.divide(pc.add(pc.binary_length(text), pc.utf8_length(text)), 2)
    return int(pc.max(width).as_py() or 0)


def display_text(values: pd.Series) -> pa.Array:
    """Any column as display text: booleans as 是/否, nulls stay null."""
    if pd.api.types.is_bool_dtype(values):
        values = values.map({True: "是", False: "否"})
    try:
        array = _one_chunk(pa.array(values, from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects
        array = pa.array(values.map(str, na_action="ignore"), from_pandas=True)
    return array if array.type == pa.string() else array.cast(pa.string())


def _one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Columns built by concat or group-by come as several Arrow chunks; the writer slices one array."""
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _value_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A string array's bytes and each value's start and end in them (a null value ends where it starts, as
    an empty one does): read off Arrow's buffers, so a check per value costs a numpy gather, not a kernel."""
    _, offsets, data = text.buffers()
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=width)[text.offset : text.offset + len(text) + 1].astype(np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]] if data is not None and len(text) else (
        np.zeros(0, np.uint8))
    start, end = bounds[:-1] - bounds[0], bounds[1:] - bounds[0]
    filled = end > start
    if text.null_count:
        filled &= pc.is_valid(text).to_numpy(zero_copy_only=False)
    return raw, start, np.where(filled, end, start)


def _byte_at(raw: np.ndarray, at: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``raw[at]`` where ``ok``, else 0."""
    return np.where(ok, raw[np.where(ok, at, 0)], 0) if len(raw) else np.zeros(len(at), np.uint8)


def _has_char(raw: np.ndarray, start: np.ndarray, end: np.ndarray, chars: list[str], *, last: bool = False,
              ) -> np.ndarray:
    """Whether each value's first (``last``: final) character is one of ``chars``: a table lookup of one
    byte per value, and the further bytes of a multi-byte character only where its first byte is found."""
    hit = np.zeros(len(start), dtype=bool)
    for size in sorted({len(c.encode()) for c in chars}):
        codes = [c.encode() for c in chars if len(c.encode()) == size]
        at = end - size if last else start
        table = np.zeros(256, dtype=bool)
        table[[code[0] for code in codes]] = True
        long_enough = end - start >= size
        rows = np.flatnonzero(long_enough & table[_byte_at(raw, at, long_enough)])
        for code in codes:
            found = rows[raw[at[rows]] == code[0]]
            for i, byte in enumerate(code[1:], 1):
                found = found[raw[at[found] + i] == byte]
            hit[found] = True
    return hit


def _xml_text(text: pa.Array) -> pa.Array:
    """Text safe inside an XML element: characters XML forbids removed, ``& < >`` escaped."""
    blob = _value_bytes(text)[0].tobytes()  # one pass over the bytes decides if any value needs work
    if not blob.translate(None, XML_PLAIN_BYTES) and b"\xef\xbf\xbe" not in blob and b"\xef\xbf\xbf" not in blob:
        return text
    text = pc.replace_substring_regex(text, ILLEGAL_XML, "")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, entity)
    return text


def _starts_with_formula(text: pa.Array) -> pa.Array:
    raw, start, end = _value_bytes(text)
    return pa.array(_has_char(raw, start, end, FORMULA_CHARS))


def _edge_space(text: pa.Array) -> pa.Array:
    """Leading or trailing white space, which only ``xml:space="preserve"`` keeps."""
    raw, start, end = _value_bytes(text)
    return pa.array(_has_char(raw, start, end, SPACE_CHARS) | _has_char(raw, start, end, SPACE_CHARS, last=True))


def _yuan_text(fen: pd.Series) -> pa.Array:
    """Integer fen → exact decimal yuan text ('-0.05'); nulls stay null."""
    values = pd.array(fen, dtype="Int64")
    mask = np.asarray(values.isna())
    ints = np.asarray(values.fillna(0), dtype=np.int64)
    absolute = np.abs(ints)
    whole = pa.array(absolute // 100).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(absolute % 100).cast(pa.string()), 2, "0")
    sign = pa.array(np.where(ints < 0, "-", ""))
    text = pc.binary_join_element_wise(sign, whole, ".", cents, "")
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), text) if mask.any() else text


@dataclass(frozen=True)
class _Column:
    """A column ready to be cut into cell XML: a value text array between a head and a tail."""

    head: pa.Array | str  # what follows the cell reference up to the value
    values: pa.Array  # number text, shared-string index text, or escaped inline text
    tail: str
    width: int

    def cells(self, letter: str, numbers: pa.Array, start: int) -> pa.Array:
        """Cell XML for ``len(numbers)`` rows from ``start``; a null value gives no cell."""
        head = self.head if isinstance(self.head, str) else self.head.slice(start, len(numbers))
        return pc.binary_join_element_wise(f'<c r="{letter}', numbers, head, self.values.slice(start, len(numbers)),
                                           self.tail, "")


def _prepare(sheet: Sheet, column: str, strings: list[pa.Array] | None, base: int) -> tuple[_Column, int]:
    """Encode one column once for the whole sheet. Text goes to the shared-string table (deduplicated) when
    ``strings`` is given, else inline in the cell (for many small workbooks cut from one frame)."""
    values = sheet.frame[column]
    header_width = display_width(pa.array([str((sheet.headers or {}).get(column, column))])) + 2
    if pd.api.types.is_datetime64_any_dtype(values):  # real dates (sortable, filterable), shown as 2023-10-01
        days = values.to_numpy("datetime64[D]")
        serial = pa.array((days - EXCEL_EPOCH).astype("int64"), mask=np.isnat(days)).cast(pa.string())
        return _Column(f'" s="{STYLE_DATE}"><v>', serial, "</v></c>", max(header_width, 12)), base
    if column in sheet.money_fen or column in sheet.percent or (
        pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    ):
        grouping = 0
        if column in sheet.money_fen:
            number, style = _yuan_text(values), f' s="{STYLE_MONEY}"'
            grouping = max(display_width(number) - 4, 0) // 3  # the thousands separators Excel shows
        else:
            style = f' s="{STYLE_PERCENT}"' if column in sheet.percent else ""
            raw = _one_chunk(pa.array(values, from_pandas=True))
            if pa.types.is_floating(raw.type):
                raw = pc.if_else(pc.is_finite(raw), raw, pa.scalar(None, raw.type))
            number = raw.cast(pa.string())
        width = max(header_width, display_width(number) + grouping + 2, MIN_WIDTH)
        return _Column(f'"{style}><v>', number, "</v></c>", min(width, MAX_WIDTH)), base
    if strings is None:
        text = display_text(values)
        quoted = _starts_with_formula(text)
        spaced = _edge_space(text)
        plain, kept = '" t="inlineStr"><is><t>', '" t="inlineStr"><is><t xml:space="preserve">'
        quote = f'" s="{STYLE_QUOTED}"'
        head = _per_row(spaced, kept, plain)
        if pc.any(quoted).as_py():
            head = pc.if_else(quoted, _per_row(spaced, quote + kept[1:], quote + plain[1:]), head)
        width = max(header_width, display_width(text) + 2, MIN_WIDTH)
        return _Column(head, _xml_text(text), "</t></is></c>", min(width, MAX_WIDTH)), base
    encoded = display_text(values).dictionary_encode()
    words = encoded.dictionary
    quoted = _starts_with_formula(words)
    head = _per_row(pc.take(quoted, encoded.indices), f'" s="{STYLE_QUOTED}" t="s"><v>', '" t="s"><v>')
    index = pc.add(encoded.indices.cast(pa.int64()), base).cast(pa.string())
    strings.append(words)
    width = max(header_width, display_width(words) + 2, MIN_WIDTH)
    return _Column(head, index, "</v></c>", min(width, MAX_WIDTH)), base + len(words)


def _per_row(condition: pa.Array, yes: str, no: str) -> pa.Array | str:
    """``yes`` where ``condition`` holds, else ``no``: one shared string when no row differs (the usual case),
    which saves an array of heads as long as the sheet.

    >>> _per_row(pa.array([False, False]), "q", "n"), _per_row(pa.array([False, True]), "q", "n").to_pylist()
    ('n', ['n', 'q'])
    """
    return pc.if_else(condition, yes, no) if pc.any(condition).as_py() else no


def _rows(columns: list[_Column], numbers: pa.Array, start: int) -> pa.Array:
    """Row XML for the rows numbered ``numbers`` (Excel row numbers as text), data from row ``start``.

    One join builds every row; only a column with empty values is joined apart first (an empty value
    leaves out its whole cell).
    """
    pieces: list = ['<row r="', numbers, '">']
    for i, col in enumerate(columns):
        letter = column_letter(i)
        if col.values.null_count:
            pieces.append(pc.fill_null(col.cells(letter, numbers, start), ""))
        else:
            head = col.head if isinstance(col.head, str) else col.head.slice(start, len(numbers))
            pieces.extend([f'<c r="{letter}', numbers, head, col.values.slice(start, len(numbers)), col.tail])
    joined: list = []  # adjacent constant pieces as one: the join's cost grows with its arguments
    for piece in [*pieces, "</row>"]:
        if isinstance(piece, str) and joined and isinstance(joined[-1], str):
            joined[-1] += piece
        else:
            joined.append(piece)
    return pc.binary_join_element_wise(*joined, "")


def _bytes(strings: pa.Array) -> tuple[bytes, np.ndarray]:
    """All values of a string array back to back, and where each starts (straight from Arrow's buffers)."""
    strings = pc.fill_null(strings, "").cast(pa.large_string())
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[strings.offset : strings.offset + len(strings) + 1]
    start, end = int(bounds[0]), int(bounds[-1])
    return (memoryview(data)[start:end].tobytes() if end > start else b""), bounds - start


def _inline_row(number: int, values: Sequence[str], style: int, height: float | None = None) -> str:
    """A row of text cells from column A; a blank one is left out, or left empty in a header row (shaded).
    ``height`` in points, for a row of wrapped lines (Excel does not grow a merged cell's row to its text)."""
    cells = "".join(
        f'<c r="{column_letter(i)}{number}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>'
        if v else f'<c r="{column_letter(i)}{number}" s="{style}"/>'
        for i, v in enumerate(values) if v or style == STYLE_HEADER
    )
    tall = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{number}"{tall}>{cells}</row>'


def _title_rows(sheet: Sheet, widths: list[int]) -> str:
    """The rows above the header: the title and notes (merged over the table's width, wrapped onto the lines
    they need there) and rows of cells, the last ``header_rows`` of them shaded as the header."""
    block = len(sheet.title) - sheet.header_rows
    rows = []
    for i, line in enumerate(sheet.title):
        if isinstance(line, str):
            scale = TITLE_SCALE if i == 0 else 1
            lines = math.ceil(display_width(pa.array([line])) * scale / max(sum(widths) - 2, 1))
            style = STYLE_TITLE if i == 0 else STYLE_NOTE if lines > 1 else 0
            rows.append(_inline_row(i + 1, [line], style, LINE_HEIGHT * scale * lines if lines > 1 else None))
        else:
            cells = [*line, *[""] * (len(sheet.frame.columns) - len(line))]
            rows.append(_inline_row(i + 1, cells, STYLE_HEADER if i >= block else STYLE_TITLE if i == 0 else 0))
    return "".join(rows)


def _sheet_head(sheet: Sheet, widths: list[int], rows: int, selected: bool) -> bytes:
    """Everything of a sheet's XML before its data rows: size, frozen pane, widths, title and header rows."""
    columns = list(sheet.frame.columns)
    headers = [str((sheet.headers or {}).get(c, c)) for c in columns]
    last = column_letter(max(len(columns), 1) - 1)
    header_row = len(sheet.title) + 1
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths))
    pane = (f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A{header_row + 1}" sqref="A{header_row + 1}"/>')
    tab = ' tabSelected="1"' if selected else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last}{header_row + rows}"/>'
        f'<sheetViews><sheetView workbookViewId="0"{tab}>{pane}</sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>'
        f"{_title_rows(sheet, widths)}{_inline_row(header_row, headers, STYLE_HEADER)}"
    ).encode()


def _sheet_tail(sheet: Sheet, rows: int) -> bytes:
    columns = len(sheet.frame.columns)
    last = column_letter(max(columns, 1) - 1)
    top = len(sheet.title)
    tail = "</sheetData>"
    if columns:
        tail += f'<autoFilter ref="A{top + 1}:{last}{top + 1 + rows}"/>'
    lines = [i for i, t in enumerate(sheet.title) if isinstance(t, str)] if columns > 1 else []  # over the width
    merges = [f"A{i + 1}:{last}{i + 1}" for i in lines] + [
        f"{column_letter(left)}{r + 1}:{column_letter(right)}{b + 1}" for r, left, b, right in sheet.header_merges]
    if merges:
        cells = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        tail += f'<mergeCells count="{len(merges)}">{cells}</mergeCells>'
    # Printed lists (door-to-door reminders, 公示 boards): landscape, all columns on the page width.
    return (tail + '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            "</worksheet>").encode()


def _write_sheet(zf: zipfile.ZipFile, index: int, sheet: Sheet, strings: list[pa.Array], base: int) -> int:
    """Stream one sheet's XML into the zip; its text joins ``strings`` from index ``base``; returns the next."""
    prepared = []
    for c in sheet.frame.columns:
        col, base = _prepare(sheet, c, strings, base)
        prepared.append(col)
    rows = len(sheet.frame)
    first = len(sheet.title) + 2
    with zf.open(f"xl/worksheets/sheet{index + 1}.xml", "w", force_zip64=True) as out:
        out.write(_sheet_head(sheet, [c.width for c in prepared], rows, index == 0))
        for start in range(0, rows, ROWS_PER_CHUNK):
            stop = min(start + ROWS_PER_CHUNK, rows)
            numbers = pa.array(np.arange(first + start, first + stop)).cast(pa.string())
            out.write(_bytes(_rows(prepared, numbers, start))[0])
        out.write(_sheet_tail(sheet, rows))
    return base


def _write_strings(zf: zipfile.ZipFile, strings: list[pa.Array], count: int) -> None:
    words = pa.concat_arrays([s.cast(pa.string()) for s in strings]) if strings else pa.array([], pa.string())
    items = pc.binary_join_element_wise('<si><t xml:space="preserve">', _xml_text(pc.fill_null(words, "")), "</t></si>", "")
    with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{count}" uniqueCount="{len(words)}">'.encode()
        )
        for start in range(0, len(items), ROWS_PER_CHUNK):
            out.write(_bytes(items.slice(start, ROWS_PER_CHUNK))[0])
        out.write(b"</sst>")


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.00%"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '</numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="14"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def sheet_names(names: Sequence[str]) -> list[str]:
    """Names Excel accepts: no ``[]:*?/\\``, at most 31 characters, unique.

    >>> sheet_names(["a/b", "a/b", "x" * 40])[:2], len(sheet_names(["x" * 40])[0])
    (['a_b', 'a_b (2)'], 31)
    """
    out: list[str] = []
    for raw in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", str(raw)).strip("'")[:31] or "Sheet"
        name, n = base, 1
        while name.lower() in {o.lower() for o in out}:
            n += 1
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
        out.append(name)
    return out


def _package(zf: zipfile.ZipFile, names: list[str], dims: list[tuple[int, int, int]], shared: bool) -> None:
    """The workbook's fixed parts; ``dims`` gives each sheet's (title rows, columns, data rows)."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(names))
    )
    if shared:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    zf.writestr("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"
    ))
    zf.writestr("_rels/.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ))
    entries = "".join(f'<sheet name={quoteattr(n)} sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
    quoted = [escape(chr(39) + n.replace(chr(39), chr(39) * 2) + chr(39)) for n in names]
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{q}!$A${top + 1}:${column_letter(max(columns, 1) - 1)}${top + 1 + rows}</definedName>"
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{q}!$1:${top + 1}</definedName>'
        for i, (q, (top, columns, rows)) in enumerate(zip(quoted, dims, strict=True))
    )
    zf.writestr("xl/workbook.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{entries}</sheets>'
        f'{"<definedNames>" + filters + "</definedNames>" if filters else ""}</workbook>'
    ))
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(names))
    )
    if shared:
        rels += (f'<Relationship Id="rId{len(names) + 2}" '
                 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                 'Target="sharedStrings.xml"/>')
    zf.writestr("xl/_rels/workbook.xml.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{len(names) + 1}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    ))
    zf.writestr("xl/styles.xml", STYLES)


class _IsalZip(zipfile.ZipFile):
    """A zip whose members are deflated by ISA-L (``isal_zlib``, level 1) instead of zlib: the same format,
    ~4× faster and a little smaller here, which is most of a 公示 list's cost. zipfile takes no compressor
    argument, so each member opened for writing gets one in place of zlib's before anything is written."""

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        member = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode == "w":
            if not hasattr(member, "_compressor"):  # a zipfile that no longer works this way: fail loudly
                raise RuntimeError("zipfile 的写入接口已变化，请更新 yibao.outputs.xlsx._IsalZip")
            member._compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
        return member


def _atomic(path: Path, fill: Callable[[zipfile.ZipFile], None]) -> Path:
    """Write a zip next to ``path`` with ``fill``, then rename it into place (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with _IsalZip(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            fill(zf)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to ``path`` atomically (temp file in the same folder, then rename)."""
    if not sheets:
        raise ValueError("至少需要一个工作表")
    names = sheet_names([s.name for s in sheets])

    def fill(zf: zipfile.ZipFile) -> None:
        _package(zf, names, [(len(s.title), len(s.frame.columns), len(s.frame)) for s in sheets], shared=True)
        strings: list[pa.Array] = []
        base = 0
        for i, sheet in enumerate(sheets):
            base = _write_sheet(zf, i, sheet, strings, base)
        _write_strings(zf, strings, sum(len(s.frame) * len(s.frame.columns) for s in sheets))

    return _atomic(path, fill)


def _group_starts(keys: pd.DataFrame) -> np.ndarray:
    """Where each run of equal keys begins."""
    return np.flatnonzero((keys != keys.shift()).any(axis=1).to_numpy())


def write_xlsx_groups(
    sheet: Sheet, by: Sequence[str], path_for: Callable[[tuple], Path], title_for: Callable[[tuple, int], tuple[str, ...]]
) -> int:
    """One single-sheet workbook per group of ``by`` (e.g. one 公示 list per village), cut from one frame.

    The cells of the whole frame are encoded once and each workbook gets its slice of rows, so thousands
    of small files cost little more than one big one. ``by`` columns are not shown; ``title_for(key, rows)``
    gives each workbook's title rows. Returns the number of workbooks written. A frame already grouped
    (each group's rows together, as the lists build them) is used as it is, without a sorted copy.
    """
    frame = sheet.frame.reset_index(drop=True)
    starts = _group_starts(frame[list(by)])
    if frame[list(by)].iloc[starts].duplicated().any():  # a group in several runs: gather it (rows keep their order)
        frame = frame.sort_values(list(by), kind="stable").reset_index(drop=True)
        starts = _group_starts(frame[list(by)])
    shown = Sheet(sheet.name, frame.drop(columns=list(by)), sheet.headers, (), sheet.money_fen, sheet.percent)
    prepared = [_prepare(shown, c, None, 0)[0] for c in shown.frame.columns]
    widths = [c.width for c in prepared]
    if frame.empty:
        return 0
    ends = np.r_[starts[1:], len(frame)]
    name = sheet_names([sheet.name])
    group_keys = list(frame[list(by)].iloc[starts].itertuples(index=False, name=None))

    def encode(batch: int) -> tuple[int, list]:
        """Rows of consecutive groups (about ROWS_PER_CHUNK) encoded at once; one write job per group."""
        last = batch
        while last + 1 < len(starts) and ends[last + 1] - starts[batch] <= ROWS_PER_CHUNK:
            last += 1
        lo, hi = int(starts[batch]), int(ends[last])
        group_start = np.repeat(starts[batch : last + 1], ends[batch : last + 1] - starts[batch : last + 1])
        titles = [title_for(group_keys[g], int(ends[g] - starts[g])) for g in range(batch, last + 1)]
        if len({len(t) for t in titles}) != 1:
            raise ValueError("各分组工作簿的标题行数应相同")
        numbers = pa.array(np.arange(lo, hi) - group_start + len(titles[0]) + 2).cast(pa.string())
        data, bounds = _bytes(_rows(prepared, numbers, lo))
        jobs = []
        for g, title in zip(range(batch, last + 1), titles, strict=True):
            b, e = int(starts[g]), int(ends[g])
            part = Sheet(sheet.name, shown.frame.iloc[0:0], sheet.headers, title)

            def fill(zf: zipfile.ZipFile, part: Sheet = part, body: bytes = data[bounds[b - lo] : bounds[e - lo]],
                     rows: int = e - b) -> None:
                _package(zf, name, [(len(part.title), len(part.frame.columns), rows)], shared=False)
                with zf.open("xl/worksheets/sheet1.xml", "w") as out:
                    out.write(_sheet_head(part, widths, rows, True) + body + _sheet_tail(part, rows))

            jobs.append((path_for(group_keys[g]), fill))
        return last + 1, jobs

    # Encode the next batch while the threads compress the previous one (zlib releases the GIL).
    batch, previous = 0, []
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        while batch < len(starts):
            batch, jobs = encode(batch)
            current = [pool.submit(_atomic, path, fill) for path, fill in jobs]
            for job in previous:
                job.result()
            previous = current
        for job in previous:
            job.result()
    return len(starts)
