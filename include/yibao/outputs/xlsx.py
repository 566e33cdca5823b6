"""The one XLSX writer for everything a person opens: lists, feedback workbooks, reports, transfer requests.

Why not xlsxwriter cell by cell: it writes ~130,000 cells/s here, so a county's 公示 lists (900,000 rows)
would take most of a minute. This writer builds each sheet's XML column-wise with Arrow compute and
streams it into the zip, millions of cells per second, and still guarantees what a clerk needs:

- every text cell is a *string* cell (shared-string table), never a formula; text starting with ``= + - @`` TAB or CR
  also gets Excel's quote prefix, so editing the cell cannot turn it into a formula (formula injection);
- Chinese headers in a bold, shaded, frozen header row with an autofilter; optional title rows above it
  (the departments' templates, e.g. 闻喜 附件2), merged across the table;
- column widths that fit CJK text (a CJK character counts double);
- integer fen shown as yuan numbers ``0.00`` (written as exact decimal text, summable in Excel);
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

import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROWS_PER_CHUNK = 50_000  # sheet XML is built and compressed this many rows at a time (bounded memory)
MAX_WIDTH, MIN_WIDTH = 60, 6
ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
FORMULA_START = r"^[=+\-@\t\r]"
# cellXfs indexes in STYLES
STYLE_HEADER, STYLE_QUOTED, STYLE_MONEY, STYLE_TITLE, STYLE_PERCENT = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Sheet:
    """One sheet: a frame in display order, its Chinese headers, optional title rows and number columns."""

    name: str
    frame: pd.DataFrame
    headers: Mapping[str, str] | None = None
    title: tuple[str, ...] = ()
    money_fen: tuple[str, ...] = ()  # integer fen → yuan numbers with two decimals
    percent: tuple[str, ...] = ()  # ratios (0.9123) shown as 91.23%


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


def _text(values: pd.Series) -> pa.Array:
    """Any column as display text: dates as YYYY-MM-DD, booleans as 是/否, nulls stay null."""
    if pd.api.types.is_bool_dtype(values):
        values = values.map({True: "是", False: "否"})
    elif pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d")
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects
        array = pa.array(values.map(str, na_action="ignore"), from_pandas=True)
    return array if array.type == pa.string() else array.cast(pa.string())


def _xml_text(text: pa.Array) -> pa.Array:
    """Text safe inside an XML element: characters XML forbids removed, ``& < >`` escaped."""
    if pc.any(pc.match_substring_regex(text, ILLEGAL_XML)).as_py():
        text = pc.replace_substring_regex(text, ILLEGAL_XML, "")
    if pc.any(pc.match_substring_regex(text, "[&<>]")).as_py():
        for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = pc.replace_substring(text, raw, entity)
    return text


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
    """A column ready to be cut into cell XML: numbers as text, or text as shared-string indexes."""

    head: pa.Array | str  # what follows the cell reference up to the value
    values: pa.Array  # value text (numbers) or shared-string index text
    tail: str
    width: int


def _prepare(sheet: Sheet, column: str, header: str, strings: list[pa.Array], base: int) -> tuple[_Column, int]:
    """Encode one column once for the whole sheet; text goes to the shared-string table (deduplicated)."""
    values = sheet.frame[column]
    header_width = display_width(pa.array([header])) + 2
    if column in sheet.money_fen or column in sheet.percent or (
        pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    ):
        if column in sheet.money_fen:
            number, style = _yuan_text(values), f' s="{STYLE_MONEY}"'
        else:
            style = f' s="{STYLE_PERCENT}"' if column in sheet.percent else ""
            raw = pa.array(values, from_pandas=True)
            if pa.types.is_floating(raw.type):
                raw = pc.if_else(pc.is_finite(raw), raw, pa.scalar(None, raw.type))
            number = raw.cast(pa.string())
        width = max(header_width, display_width(number) + 2, MIN_WIDTH)
        return _Column(f'"{style}><v>', number, "</v></c>", min(width, MAX_WIDTH)), base
    encoded = _text(values).dictionary_encode()
    words = encoded.dictionary
    quoted = pc.fill_null(pc.match_substring_regex(words, FORMULA_START), False)
    head = pc.if_else(pc.take(quoted, encoded.indices), f'" s="{STYLE_QUOTED}" t="s"><v>', '" t="s"><v>')
    index = pc.add(encoded.indices.cast(pa.int64()), base).cast(pa.string())
    strings.append(words)
    width = max(header_width, display_width(words) + 2, MIN_WIDTH)
    return _Column(head, index, "</v></c>", min(width, MAX_WIDTH)), base + len(words)


def _concat(strings: pa.Array) -> bytes:
    """All values of a string array back to back, straight from its data buffer (no Python strings)."""
    strings = pc.fill_null(strings, "").cast(pa.large_string())
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[strings.offset : strings.offset + len(strings) + 1]
    start, end = int(bounds[0]), int(bounds[-1])
    return memoryview(data)[start:end].tobytes() if end > start else b""


def _inline_row(number: int, values: Sequence[str], style: int) -> str:
    cells = "".join(
        f'<c r="{column_letter(i)}{number}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def _write_sheet(zf: zipfile.ZipFile, index: int, sheet: Sheet, strings: list[pa.Array], base: int) -> int:
    """Stream one sheet's XML into the zip; its text joins ``strings`` from index ``base``; returns the next."""
    frame = sheet.frame
    columns = list(frame.columns)
    headers = [str((sheet.headers or {}).get(c, c)) for c in columns]
    prepared = []
    for c, h in zip(columns, headers, strict=True):
        col, base = _prepare(sheet, c, h, strings, base)
        prepared.append(col)
    last = column_letter(max(len(columns), 1) - 1)
    top = len(sheet.title)
    header_row = top + 1
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{c.width}" customWidth="1"/>' for i, c in enumerate(prepared)
    )
    pane = (f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A{header_row + 1}" sqref="A{header_row + 1}"/>')
    selected = ' tabSelected="1"' if index == 0 else ""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<dimension ref="A1:{last}{header_row + len(frame)}"/>'
        f'<sheetViews><sheetView workbookViewId="0"{selected}>{pane}</sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>'
    )
    titles = "".join(_inline_row(i + 1, [t], STYLE_TITLE) for i, t in enumerate(sheet.title))
    with zf.open(f"xl/worksheets/sheet{index + 1}.xml", "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        out.write(titles.encode("utf-8"))
        out.write(_inline_row(header_row, headers, STYLE_HEADER).encode("utf-8"))
        letters = [column_letter(i) for i in range(len(columns))]
        for start in range(0, len(frame), ROWS_PER_CHUNK):
            stop = min(start + ROWS_PER_CHUNK, len(frame))
            numbers = pa.array(np.arange(header_row + 1 + start, header_row + 1 + stop)).cast(pa.string())
            cells = []
            for col, letter in zip(prepared, letters, strict=True):
                part_head = col.head if isinstance(col.head, str) else col.head.slice(start, stop - start)
                cells.append(pc.binary_join_element_wise(
                    f'<c r="{letter}', numbers, part_head, col.values.slice(start, stop - start), col.tail, ""
                ))
            rows = pc.binary_join_element_wise(
                '<row r="', numbers, '">', *cells, "</row>", "", null_handling="replace", null_replacement=""
            )
            out.write(_concat(rows))
        tail = "</sheetData>"
        if columns:
            tail += f'<autoFilter ref="A{header_row}:{last}{header_row + len(frame)}"/>'
        if top and len(columns) > 1:
            merges = "".join(f'<mergeCell ref="A{i + 1}:{last}{i + 1}"/>' for i in range(top))
            tail += f'<mergeCells count="{top}">{merges}</mergeCells>'
        tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
        out.write(tail.encode("utf-8"))
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
            out.write(_concat(items.slice(start, ROWS_PER_CHUNK)))
        out.write(b"</sst>")


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.00%"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="14"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
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


def _package(zf: zipfile.ZipFile, names: list[str], sheets: Sequence[Sheet]) -> None:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(names))
    )
    zf.writestr("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        f"{overrides}</Types>"
    ))
    zf.writestr("_rels/.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ))
    entries = "".join(f'<sheet name={quoteattr(n)} sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(chr(39) + n.replace(chr(39), chr(39) * 2) + chr(39))}!$A${len(s.title) + 1}:"
        f"${column_letter(max(len(s.frame.columns), 1) - 1)}${len(s.title) + 1 + len(s.frame)}</definedName>"
        for i, (n, s) in enumerate(zip(names, sheets, strict=True))
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
    zf.writestr("xl/_rels/workbook.xml.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{len(names) + 1}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{len(names) + 2}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    ))
    zf.writestr("xl/styles.xml", STYLES)


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to ``path`` atomically (temp file in the same folder, then rename)."""
    if not sheets:
        raise ValueError("至少需要一个工作表")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    names = sheet_names([s.name for s in sheets])
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            _package(zf, names, sheets)
            strings: list[pa.Array] = []
            base = 0
            for i, sheet in enumerate(sheets):
                base = _write_sheet(zf, i, sheet, strings, base)
            _write_strings(zf, strings, sum(len(s.frame) * len(s.frame.columns) for s in sheets))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path
