"""Write drops in the departments' own layouts: CSV in their encodings, XLSX with the notice's title rows.

CSV goes through pyarrow (a million-row register in well under a second); GB18030 and UTF-8 with BOM
are re-encoded from pyarrow's UTF-8 output. XLSX uses xlsxwriter in constant-memory mode with every ID
as a text cell and a fixed creation time, so the same seed gives byte-identical workbooks.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030"}


def date_text(values: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD`` strings from datetime64 values; NaT becomes an empty string."""
    arr = pa.array(np.asarray(values).astype("datetime64[D]"), type=pa.date32())
    return arr.cast(pa.string()).fill_null("")


def write_csv(path: Path, columns: dict[str, object], encoding: str = "utf-8") -> int:
    """Write string columns (header → values) as CSV; returns the number of data rows."""
    table = pa.table({h: pa.array(v, type=pa.string()) if not isinstance(v, pa.Array) else v.cast(pa.string())
                      for h, v in columns.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(quoting_style="needed")
    if encoding == "utf-8":
        pacsv.write_csv(table, str(path), write_options=options)
    else:
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, write_options=options)
        path.write_bytes(sink.getvalue().decode("utf-8").encode(ENCODINGS[encoding]))
    return table.num_rows


def write_xlsx(path: Path, title_rows: list[str], columns: dict[str, list], created: dt.date) -> int:
    """A workbook in the notice's template: title rows, the header row, then data rows (text cells).

    ``序号`` is written as numbers like the template; every other cell is text, IDs included.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime.combine(created, dt.time())})
    ws = wb.add_worksheet("Sheet1")
    bold = wb.add_format({"bold": True, "align": "center"})
    for r, text in enumerate(title_rows):
        if r == 0 and len(headers) > 1:
            ws.merge_range(0, 0, 0, len(headers) - 1, text, wb.add_format({"bold": True, "font_size": 14,
                                                                           "align": "center"}))
        else:
            ws.write_string(r, 0, text)
    top = len(title_rows)
    for c, h in enumerate(headers):
        ws.write_string(top, c, h, bold)
    values = [columns[h] for h in headers]
    numeric = [h == "序号" for h in headers]
    for i in range(n):
        for c, col in enumerate(values):
            if numeric[c]:
                ws.write_number(top + 1 + i, c, int(col[i]))
            else:
                ws.write_string(top + 1 + i, c, str(col[i]))
    wb.close()
    return n
