"""Read a department drop (CSV or XLSX in the department's own layout) into canonical string columns.

Every value stays text: an ID that Excel turned into a number is shown the way Excel displays it
(``3.70481E+17``) so the ID check rejects it as Excel damage instead of accepting wrong digits.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from yibao.errors import UserError
from yibao.sources import Source

HEADER_SEARCH_ROWS = 10
MAX_EXACT_FLOAT = 2**53


class FeedError(UserError):
    """A drop that cannot be read at all: it fails its own feed, never the other departments."""


def csv_as_utf8(data: bytes, name: str) -> bytes:
    """UTF-8 (with or without BOM) as is; otherwise GB18030 (a superset of GBK that has rare name characters)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise FeedError(f"文件 {name} 无法识别编码（既不是 UTF-8 也不是 GB18030），请另存为 UTF-8 CSV 后重新报送") from None


def excel_text(value: object) -> str:
    """A cell value as the text a clerk sees in Excel.

    >>> excel_text(3.704811980010113e+17), excel_text(380.0), excel_text(37.5), excel_text("x")
    ('3.70481E+17', '380', '37.5', 'x')
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < MAX_EXACT_FLOAT:
            return str(int(value))
        if abs(value) >= 1e11:
            mantissa, exponent = f"{value:.5E}".split("E")
            return f"{mantissa.rstrip('0').rstrip('.')}E{exponent[0]}{int(exponent[1:]):02d}"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value)


def xlsx_rows(path: Path, name: str) -> list[list[str]]:
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return [[v if type(v) is str else excel_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    except (CalamineError, OSError, ValueError) as exc:
        raise FeedError(f"文件 {name} 不是有效的 Excel（.xlsx）文件：{type(exc).__name__}") from None


def _find_header(rows: list[list[str]], source: Source, name: str) -> int:
    """The first row (within the first few) holding every required header: title rows above it are skipped."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = set(source.header_map([c for c in row if c]).values())
        if all(col in found for col in source.required):
            return i
    wanted = "、".join(source.header(c) for c in source.required)
    raise FeedError(f"文件 {name} 缺少必填列（应包含：{wanted}），请使用规定模板")


def _xlsx_table(path: Path, source: Source, name: str) -> pd.DataFrame:
    rows = xlsx_rows(path, name)
    header_at = _find_header(rows, source, name)
    header = [c.strip() for c in rows[header_at]]
    body = [r for r in rows[header_at + 1 :] if any(c.strip() for c in r)]
    return pd.DataFrame(body or None, columns=header, dtype="str")


def _csv_table(path: Path, source: Source, name: str) -> pd.DataFrame:
    data = csv_as_utf8(path.read_bytes(), name)
    if not data.strip():
        raise FeedError(f"文件 {name} 是空文件")
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, engine="pyarrow")
    raw.columns = [str(c).strip() for c in raw.columns]
    _find_header([list(raw.columns)], source, name)
    return raw


def read_drop(path: Path, source: Source, name: str | None = None) -> pd.DataFrame:
    """Read one drop into canonical columns plus ``_file`` (the department's file name) and ``_row``.

    ``_row`` is the 1-based data row number under the header, as the clerk counts rows in the template.
    """
    name = name or path.name
    raw = (_xlsx_table if source.format == "xlsx" else _csv_table)(path, source, name)
    if raw.empty:
        raise FeedError(f"文件 {name} 没有数据行")
    mapping = source.header_map(list(raw.columns))
    columns: dict[str, pd.Series] = {}
    for header, column in mapping.items():
        columns.setdefault(column, raw[header].fillna("").astype("str").str.strip())
    for column in source.columns:
        columns.setdefault(column, pd.Series("", index=raw.index, dtype="str"))
    frame = pd.DataFrame(columns).reset_index(drop=True)
    frame["_file"] = name
    frame["_row"] = np.arange(1, len(frame) + 1)
    return frame


def read_feed(files: list[tuple[Path, str]], source: Source) -> pd.DataFrame:
    """All drops of one feed concatenated; ``files`` are (landed path, department file name) pairs."""
    frames = [read_drop(path, source, name) for path, name in files]
    if not frames:
        return pd.DataFrame(columns=[*source.columns, "_file", "_row"])
    frame = pd.concat(frames, ignore_index=True)
    for column in source.optional:  # present in some drops only: blank where a drop lacks it
        if column in frame:
            frame[column] = frame[column].fillna("")
    return frame
