"""Write drops in the departments' own layouts: CSV in their encodings, XLSX with the notice's title rows.

CSV goes through pyarrow (a million-row register in well under a second); GB18030 and UTF-8 with BOM
are re-encoded from pyarrow's UTF-8 output. XLSX keeps every ID as a text cell and a fixed creation
time, so the same seed gives byte-identical workbooks.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030"}


def date_text(values: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD`` strings from datetime64 values; NaT becomes an empty string."""
    arr = pa.array(np.asarray(values).astype("datetime64[D]"), type=pa.date32())
    return arr.cast(pa.string()).fill_null("")


def _text(values: object) -> pa.Array:
    """Any column (numpy, pandas, pyarrow, list) as a pyarrow string array."""
    arr = values if isinstance(values, pa.Array) else pa.array(values)
    return arr.cast(pa.string())


def write_csv(path: Path, columns: dict[str, object], encoding: str = "utf-8") -> int:
    """Write string columns (header → values) as unquoted CSV, like a department's export; returns rows.

    pyarrow refuses (rather than silently quoting) a value holding a comma, quote or line break.
    """
    table = pa.table({h: _text(v) for h, v in columns.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    body = io.BytesIO()
    body.write((",".join(columns) + "\n").encode("utf-8"))
    pacsv.write_csv(table, body, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    data = body.getvalue()
    path.write_bytes(data if encoding == "utf-8" else data.decode("utf-8").encode(ENCODINGS[encoding]))
    return table.num_rows


def write_xlsx(path: Path, title_rows: list[str], columns: dict[str, object], created: dt.date) -> int:
    """A workbook in the notice's template: title rows, the header row, then data rows (text cells).

    ``序号`` is written as numbers like the template; every other cell is text, IDs included. xlsxwriter
    builds the workbook (styles, merged title, properties) with the title and header rows; the data rows
    are then spliced into its sheet XML in bulk, because xlsxwriter's per-cell calls cost ~60 µs a row and
    a million-person county has over a hundred thousand roster rows.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = list(columns)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": dt.datetime.combine(created, dt.time())})
    ws = wb.add_worksheet("Sheet1")
    title_format = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    for r, text in enumerate(title_rows):
        if r == 0 and len(headers) > 1:
            ws.merge_range(0, 0, 0, len(headers) - 1, text, title_format)
        else:
            ws.write_string(r, 0, text)
    bold = wb.add_format({"bold": True, "align": "center"})
    for c, h in enumerate(headers):
        ws.write_string(len(title_rows), c, h, bold)
    wb.close()
    n = len(next(iter(columns.values()))) if columns else 0
    first = len(title_rows) + 2  # 1-based Excel row of the first data row
    _splice_rows(path, _rows_xml(columns, first), f"A1:{_letter(len(headers) - 1)}{first + n - 1}")
    return n


def _letter(col: int) -> str:
    return xlsxwriter.utility.xl_col_to_name(col)


def _rows_xml(columns: dict[str, object], first: int) -> str:
    """SpreadsheetML ``<row>`` elements for the data rows, built column-wise with pyarrow."""
    n = len(next(iter(columns.values())))
    if n == 0:
        return ""
    rownum = pc.cast(pa.array(np.arange(first, first + n)), pa.string())
    parts = [pa.scalar('<row r="'), rownum, pa.scalar('">')]
    for c, (header, values) in enumerate(columns.items()):
        ref = pa.scalar(f'<c r="{_letter(c)}')
        text = _text(values)
        if header == "序号":
            parts += [ref, rownum, pa.scalar('"><v>'), text, pa.scalar("</v></c>")]
        else:
            for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
                text = pc.replace_substring(text, raw, entity)
            parts += [ref, rownum, pa.scalar('" t="inlineStr"><is><t>'), text, pa.scalar("</t></is></c>")]
    parts.append(pa.scalar("</row>"))
    rows = pc.binary_join_element_wise(*parts, "")  # the last argument is the separator
    return "".join(rows.to_pylist())


def _splice_rows(path: Path, rows: str, dimension: str) -> None:
    """Insert data rows before ``</sheetData>`` and fix the sheet's dimension, keeping the zip's entries."""
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml, count=1)
                data = xml.replace("</sheetData>", rows + "</sheetData>", 1).encode("utf-8")
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
