"""Read a department drop (CSV or XLSX in the department's own layout) into canonical string columns.

Every value stays text: an ID that Excel turned into a number is shown the way Excel displays it
(``3.70481E+17``) so the ID check rejects it as Excel damage instead of accepting wrong digits.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from yibao.errors import UserError
from yibao.sources import Source
from yibao.xlsx_limits import XlsxRefused, check_xls, check_xlsx

HEADER_SEARCH_ROWS = 20  # the header is looked for this far down (a template with a long 填报说明 above it)
NAME_ALONE = re.compile(r"^[^\d\s]{1,8}$")  # alone under 姓名: a person's name (an ID left out), not a title
DELIMITERS = (",", "\t")
# A UTF-16 text export: lines of cells, no control characters but tabs and line breaks
UTF16_TEXT = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\ufeff\ufffe\uffff]*[\t,\n][^\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*",
                        re.DOTALL)
# A row's first text that makes it a total (合计 under the roster, 小计 under each town's rows), or, under the
# last person, the rest of its footer: notes, who filled in and checked it, the unit's stamp, the date.
# No person's row starts so (it starts with 序号, the town or the name).
TOTAL = re.compile(r"(合|总|小|共|累)\s*计")
FOOTER = re.compile(r"(注|说\s*明|备\s*注)\s*[:：]|填\s*表|填\s*报|制\s*表|审\s*核|审\s*批|复\s*核|经\s*办|"
                    r"负\s*责\s*人|联\s*系|[^\s]{0,4}单\s*位|盖\s*章|签\s*字|签\s*名|日\s*期\s*[:：]")
ID_LIKE = re.compile(r"\d{15}")
# A section heading inside a table (一、特困人员 / （二）低保对象 / 3.孤儿), numbered as official lists number them
SECTION = re.compile(r"^(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|\d{1,2}\s*[、．](?!\d)|"
                     r"\d{1,2}\.(?!\d))\s*\S")
MAX_EXACT_FLOAT = 2**53


class FeedError(UserError):
    """A drop that cannot be read at all: it fails its own feed, never the other departments."""


def csv_as_utf8(data: bytes, name: str) -> bytes:
    """UTF-8 (with or without BOM) as is; UTF-16 with its BOM (Excel's “Unicode 文本”) decoded; otherwise
    GB18030 (a superset of GBK that has rare name characters). NUL characters (a legacy system's padding)
    are dropped: no name or number holds one, and PostgreSQL refuses them in text.

    >>> csv_as_utf8("姓名,身份证号码".encode("utf-16"), "x.csv").decode()
    '姓名,身份证号码'
    >>> csv_as_utf8("王\\x00五,1408".encode(), "x.csv").decode()
    '王五,1408'
    """
    return _without_nul(_decoded(data, name))


def _without_nul(data: bytes) -> bytes:
    return data.replace(b"\x00", b"") if b"\x00" in data else data


def _decoded(data: bytes, name: str) -> bytes:
    unknown = FeedError(f"文件 {name} 无法识别编码（既不是 UTF-8 也不是 GB18030），请另存为 UTF-8 CSV 后重新报送")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise unknown from None
        if not UTF16_TEXT.fullmatch(text):  # bytes that happen to start like a BOM
            raise unknown
        return text.encode("utf-8")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if _is_utf8(data):
        return data
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise unknown from None


def _is_utf8(data: bytes) -> bool:
    """Arrow's validator (zero-copy over ``data``): several times faster than decoding to ``str``.

    >>> _is_utf8("姓名".encode()), _is_utf8("姓名".encode("gb18030")), _is_utf8(b"")
    (True, False, True)
    """
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


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


def _cell_text(values: pd.Series) -> pd.Series:
    """A column of cell values as :func:`excel_text` shows them; whole numbers (serial numbers, most
    numeric cells) are converted at once, only the other non-text cells one by one.

    >>> _cell_text(pd.Series(["序号", 1.0, 2.0, 3.704811980010113e+17, 37.5, None], dtype=object)).tolist()
    ['序号', '1', '2', '3.70481E+17', '37.5', '']
    """
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.astype("str")
    cells = values.to_numpy(dtype=object, copy=True)
    floats = np.fromiter((type(v) is float for v in cells), dtype=bool, count=len(cells))
    numbers = cells[floats].astype(np.float64)
    whole = (np.floor(numbers) == numbers) & (np.abs(numbers) < MAX_EXACT_FLOAT)
    at = np.flatnonzero(floats)
    cells[at[whole]] = numbers[whole].astype(np.int64).astype(str).astype(object)
    rest = np.flatnonzero(np.fromiter((type(v) is not str for v in cells), dtype=bool, count=len(cells)))
    cells[rest] = [excel_text(v) for v in cells[rest]]
    return pd.Series(cells, index=values.index, dtype="str")


def xlsx_sheets(path: Path, name: str) -> list[tuple[str, pd.DataFrame | None]]:
    """Each worksheet, in the workbook's order, with its cells as text columns (0, 1, …) once
    :func:`check_xlsx` (:func:`check_xls` for a legacy ``.xls``, as WPS saves by default) has bounded what
    reading them may cost; a hidden sheet (a template's drop-down lists, or last month's roster hidden
    away) is not read: ``None``. A legacy ``.xls`` is parsed in a child process (:mod:`yibao.xls_child`):
    calamine's reader of it can panic or abort on a damaged file.

    Rows with no text at all are dropped; the index is each kept row's 0-based sheet row. A value merged
    down a column counts in every row it spans (:func:`_merged_down`); the merges starting where a header
    may be (``attrs["top_merges"]``) are kept to give a two-row header back as sent.
    """
    legacy = path.suffix.lower() == ".xls"
    try:
        (check_xls if legacy else check_xlsx)(path)
    except XlsxRefused as exc:
        raise FeedError(f"文件 {name} 已拒收：{exc}") from None
    grids = _xls_grids(path, name) if legacy else _xlsx_grids(path, name)
    read = [(sheet, _cells_frame(_merged_down(cells, merged), merged) if cells is not None else None)
            for sheet, cells, merged in grids]
    if all(cells is None for _, cells in read):
        raise FeedError(f"文件 {name} 没有可见的工作表")
    return read


def _xlsx_grids(path: Path, name: str) -> list[tuple[str, list[list] | None, list]]:
    """(sheet, cells or None when hidden, merged ranges) of each worksheet, read in this process."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        grids = []
        for meta in workbook.sheets_metadata:
            if meta.typ == SheetTypeEnum.WorkSheet:
                sheet = workbook.get_sheet_by_name(meta.name) if meta.visible == SheetVisibleEnum.Visible else None
                grids.append((meta.name, sheet.to_python(skip_empty_area=False) if sheet else None,
                              (sheet.merged_cell_ranges or []) if sheet else []))
        return grids
    except (CalamineError, OSError, ValueError) as exc:
        raise FeedError(f"文件 {name} 不是有效的 Excel 文件：{type(exc).__name__}") from None
    except BaseException as exc:  # a panic in calamine (pyo3's PanicException) is a damaged file, too
        if type(exc).__name__ != "PanicException":
            raise
        raise _damaged(name) from None


def _damaged(name: str) -> FeedError:
    return FeedError(f"文件 {name} 已损坏，无法读取：请用 Excel 或 WPS 打开后另存为 .xlsx 重新报送")


XLS_SECONDS = 300  # a legacy workbook within the bounds is parsed in seconds


def _xls_grids(path: Path, name: str) -> list[tuple[str, list[list] | None, list]]:
    """:func:`_xlsx_grids` for a legacy ``.xls``, from a child process: a damaged file that crashes the
    parser fails this feed with what to do, and nothing else."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(  # where this package is, whatever the caller's path
        [str(Path(__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        done = subprocess.run([sys.executable, "-m", "yibao.xls_child", str(path)], capture_output=True,
                              env=env, timeout=XLS_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise _damaged(name) from None
    result = pickle.loads(done.stdout) if done.returncode == 0 and done.stdout else None  # our child's
    if not isinstance(result, list):  # the parse failed (its error's name), or the child died
        raise _damaged(name)
    return [(sheet, cells if visible else None, merged) for sheet, visible, cells, merged in result]


def _merged_down(grid: list[list], merged: list) -> list[list]:
    """The grid with each value merged down a column in every row it spans, as the clerk reads it:
    乡镇 merged over a town's rows, a header cell merged over a two-row header (序号 beside 姓名 under
    人员信息). Merges across columns only (a title over the table) stay in their first cell."""
    for (top, column), (bottom, _) in merged:
        if top < len(grid) and column < len(grid[top]):
            for row in grid[top + 1 : bottom + 1]:
                row[column] = grid[top][column]
    return grid


def xlsx_frame(path: Path, name: str) -> pd.DataFrame:
    """The first visible worksheet of :func:`xlsx_sheets` (a file of ID numbers to check)."""
    return next(cells for _, cells in xlsx_sheets(path, name) if cells is not None)


def _cells_frame(cells: list[list], merged: list = ()) -> pd.DataFrame:
    """The grid as text columns without its blank rows, and without the blank columns at its right (a
    stray space typed far off makes the grid that wide: those columns are nobody's data). NUL characters
    (``_x0000_`` in the sheet's XML) are dropped, as from a CSV (:func:`csv_as_utf8`). ``attrs["top_merges"]``
    holds the ``merged`` ranges starting in the rows searched for the header."""
    raw = pd.DataFrame(cells, dtype=object)
    text = {column: _cell_text(raw[column]) for column in raw.columns}
    text = {c: v.str.replace("\x00", "", regex=False) if _has_nul(v) else v for c, v in text.items()}
    blanks = pd.DataFrame({c: v.str.strip() == "" for c, v in text.items()}, index=raw.index)
    used = np.flatnonzero(~blanks.all(axis=0).to_numpy())
    width = int(used[-1]) + 1 if len(used) else 0
    frame = pd.DataFrame({c: text[c] for c in list(text)[:width]}, index=raw.index)
    frame = frame[~blanks.all(axis=1)] if width else frame
    searched = frame.index[min(len(frame), HEADER_SEARCH_ROWS) - 1] if len(frame) else -1
    frame.attrs["top_merges"] = [m for m in merged if m[0][0] <= searched]
    return frame


def _header_at(rows: list[list[str]], source: Source) -> int | None:
    """The first row (within the first few) holding every required header: title rows above it are skipped."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = set(source.header_map([c for c in row if c]).values())
        if all(col in found for col in source.required):
            return i
    return None


def _no_header(source: Source, name: str) -> FeedError:
    wanted = "、".join(source.header(c) for c in source.required)
    return FeedError(f"文件 {name} 缺少必填列（应包含：{wanted}），请使用规定模板")


def _xlsx_tables(path: Path, source: Source, name: str) -> tuple[list[tuple[str, pd.DataFrame]], list[str]]:
    """The roster tables of a workbook: every visible worksheet with the template's header, each with its own
    title rows and row numbers (a roster kept one sheet per town is read whole); and what was not read,
    for the feed's summary: hidden sheets, and sheets with content but without the header (填表说明…)."""
    tables, skipped = [], []
    for sheet, cells in xlsx_sheets(path, name):
        if cells is None:
            skipped.append(f"{sheet}（隐藏）")
            continue
        top = cells.iloc[:HEADER_SEARCH_ROWS].to_numpy().tolist()
        at = _header_at(top, source)
        if at is None:
            if len(cells):
                skipped.append(f"{sheet}（无规定表头）")
            continue
        header_row = cells.index[at]
        raw = cells[cells.index > header_row]
        raw = raw.set_axis([c.strip() for c in top[at]], axis=1).reset_index(names="_row")
        raw["_row"] = (raw["_row"] - header_row).astype("int64")  # data row numbers as the clerk counts them
        raw = raw.iloc[:, [*range(1, raw.shape[1]), 0]]  # by position: headers may repeat (备注, blank ones)
        raw.attrs["title"] = [_title_row(r) for r in top[:at]]
        raw.attrs["title_merges"] = _header_block_merges(cells.attrs.get("top_merges", []), list(cells.index[:at + 1]))
        tables.append((sheet, raw))
    if not tables:
        raise _no_header(source, name)
    return tables, skipped


def _header_block_merges(merged: list, rows: list[int]) -> list[list[int]]:
    """The merges starting above the header (``rows``: the sheet rows of the title rows, then the header's),
    as ``[first, column, last, last column]`` with rows counted in ``rows`` (so blank rows between them do
    not count): 人员信息 over two columns, 序号 down over both header rows. Merges starting on the header
    itself, or down into the data, are not the header block's.

    >>> _header_block_merges([((0, 0), (0, 5)), ((3, 0), (4, 0)), ((3, 2), (3, 3)), ((9, 1), (12, 1))], [0, 1, 3, 4])
    [[0, 0, 0, 5], [2, 0, 3, 0], [2, 2, 2, 3]]
    >>> _header_block_merges([((1, 2), (0, 0))], [1, 3])  # a damaged file's range, backwards: not a merge
    []
    """
    at = {row: n for n, row in enumerate(rows)}
    out = []
    for (top, column), (bottom, last_column) in merged:
        if top in at and at[top] < len(rows) - 1 and bottom >= top and last_column >= column:
            last = max(n for n, row in enumerate(rows) if row <= bottom)
            if last > at[top] or last_column > column:
                out.append([at[top], column, last, last_column])
    return out


def _csv_table(path: Path, source: Source, name: str) -> pd.DataFrame:
    """Every cell as text; a row with more or fewer cells than the header is kept aside as ``_ragged``.
    Cells are separated by commas, or by tabs when that is how the header reads (Excel's Unicode text).

    Title rows above the header (a template saved as CSV) are skipped as in a workbook and kept for the
    feedback. The rest of the file is used. Ragged rows keep their data row numbers (so do the rows after
    them) and their raw text for the department's feedback workbook; nothing of them goes into messages.
    """
    data = csv_as_utf8(path.read_bytes(), name)
    if not data or data.isspace():
        raise FeedError(f"文件 {name} 是空文件")
    lines = data[: 1 << 16].decode("utf-8", errors="replace").splitlines()[:HEADER_SEARCH_ROWS]
    for delimiter in DELIMITERS:  # the one under which the header is found (Excel's Unicode text: tabs)
        top = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delimiter)]
        at = _header_at(top, source)
        if at is not None:
            break
    else:
        raise _no_header(source, name)
    header, skip = top[at], at + 1
    ragged: list[tuple[int | None, int, str]] = []

    def keep_aside(row: pacsv.InvalidRow) -> str:
        ragged.append((row.number, row.actual_columns, row.text))
        return "skip"

    def read(data: bytes, threads: bool) -> pa.Table:
        ragged.clear()
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=skip, use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=keep_aside),
            # large_string: what pandas' text columns hold, so they are taken over without a copy
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.large_string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        table = read(data, threads=True)
        if ragged:  # only a single-threaded read knows each bad row's number
            table = read(data, threads=False)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise FeedError(f"文件 {name} 无法按 CSV 读取：{type(exc).__name__}") from None
    del data  # the file's bytes, before its columns are copied
    raw = pd.DataFrame({i: col.to_pandas().astype("str") for i, col in enumerate(table.columns)})
    del table
    raw.columns = header
    bad_rows = np.array([n - skip for n, _, _ in ragged], dtype=np.int64)  # pyarrow counts the skipped lines
    good = np.ones(len(raw) + len(ragged), dtype=bool)
    good[bad_rows - 1] = False
    raw["_row"] = np.flatnonzero(good) + 1
    if ragged:
        aside = pd.DataFrame({"_row": bad_rows, "_ragged": [f"{n}/{len(header)}" for _, n, _ in ragged],
                              "_raw": [t for _, _, t in ragged]})
        raw = pd.concat([raw, aside], ignore_index=True).sort_values("_row", kind="stable").fillna("")
    raw = raw.reset_index(drop=True)
    raw.attrs["title"] = [_title_row(row) for row in top[:at]]
    return raw


def _title_row(cells: list[str]) -> list[str]:
    """A row above the header, its cells by column (a super-header's 人员信息 stays over 姓名), without the
    blank ones at its right.

    >>> _title_row(["序号", " 人员信息 ", "", ""]), _title_row(["闻喜县困难人口名单", "", ""])
    (['序号', '人员信息'], ['闻喜县困难人口名单'])
    """
    texts = [c.strip() for c in cells]
    while texts and not texts[-1]:
        texts.pop()
    return texts


def frame_columns(source: Source, header: list[str]) -> list[str]:
    """The frame column holding each header position: canonical when the feed uses it, else ``_x:<header>``,
    numbered by its position when that name is taken (two 备注 columns, columns without a header), so every
    column the department sent comes back in its feedback.

    >>> from yibao.sources import load_sources
    >>> frame_columns(load_sources()["tuiyi"], ["乡镇", "姓名", "备注", "姓名", "", "备注", ""])
    ['town', 'name', '_x:备注', '_x:姓名', '_x:', '_x:备注#6', '_x:#7']
    """
    mapping = source.header_map(header)
    out: list[str] = []
    for position, head in enumerate(header, start=1):
        column = mapping.get(head)
        column = column if column is not None and column not in out else f"_x:{head}"
        out.append(column if column not in out else f"{column}#{position}")
    return out


def _strip(values: pd.Series) -> pd.Series:
    """Cells without leading or trailing white space; the column itself (no copy kept) when no cell had any,
    as in most columns of most files.

    >>> _strip(pd.Series([" 张三", "李四"], dtype="str")).tolist()
    ['张三', '李四']
    >>> clean = pd.Series(["张三"], dtype="str")
    >>> _strip(clean) is clean
    True
    """
    stripped = values.str.strip()
    return values if _text_bytes(stripped) == _text_bytes(values) else stripped  # stripping only removes bytes


def _text_bytes(values: pd.Series) -> int:
    """Bytes of text in a column, read off its Arrow offsets (no pass over the cells)."""
    column = pa.array(values)  # pandas' Arrow-backed text: the same buffers
    total = 0
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        if len(chunk):
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32)
            total += int(offsets[chunk.offset + len(chunk)] - offsets[chunk.offset])
    return total


def _has_nul(values: pd.Series) -> bool:
    """Does any cell hold a NUL? Read off the column's Arrow data buffer (a byte search, no pass over cells).

    >>> _has_nul(pd.Series(["张三", "a\\x00b"], dtype="str")), _has_nul(pd.Series(["张三", ""], dtype="str"))
    (True, False)
    """
    column = pa.array(values)  # pandas' Arrow-backed text: the same buffers
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    return any((data := chunk.buffers()[2]) is not None and b"\x00" in data.to_pybytes() for chunk in chunks)


def rows_not_people(frame: pd.DataFrame, header: dict[str, str]) -> dict[int, str]:
    """The rows of a roster that are its own furniture, by position, with what they are: ``表头`` (the header
    again, where town lists were pasted one under another, with their ``标题`` rows above it), ``标题`` (a
    section heading: 一、特困人员, or 特困人员 alone in the first column over people), ``合计`` (a total or
    a town's 小计) and ``表尾`` (填表人, 单位（盖章）, 注：… under the last person). ``header`` names each
    column's header as sent. A row holding anything like an ID number is a person's, always: it is checked
    and, if wrong, sent back; so is a name alone under 姓名 (an ID left out). Ragged CSV rows are judged by
    their raw text.

    Only rows whose ID cell does not start like an ID number are looked at (a register has few).

    >>> rows = pd.DataFrame({"id_number": ["140823194001011239", "身份证号", "140823195001011236", "", ""],
    ...                      "name": ["张三", "姓名", "李四", "合  计：2人", ""],
    ...                      "_raw": ["", "", "", "", "填表人：王五,注：140823194001011239 已迁出"]})
    >>> rows_not_people(rows, {"id_number": "身份证号", "name": "姓名"})
    {1: '表头', 3: '合计'}
    >>> rows_not_people(rows.iloc[:4], {"id_number": "身份证号", "name": "姓名"})
    {1: '表头', 3: '合计'}
    >>> rows_not_people(rows.assign(_raw=["", "", "", "", "填表人：王五"]), {"id_number": "身份证号", "name": "姓名"})
    {1: '表头', 3: '合计', 4: '表尾'}
    >>> under = pd.DataFrame({"id_number": ["140823194001011239", "", "", ""], "name": ["张三", "赵六", "合计：2人", "2023年12月"]})
    >>> rows_not_people(under, {"id_number": "身份证号", "name": "姓名"})  # 赵六 is a person without an ID
    {2: '合计', 3: '表尾'}
    >>> pasted = pd.DataFrame({"no": ["1", "第二批名单", "序号", "", "序号", "3"],
    ...                        "id_number": ["140823194001011239", "", "身份证号", "", "身份证号", "140823195001011236"],
    ...                        "name": ["张三", "", "姓名", "赵六", "姓名", "李四"]})
    >>> rows_not_people(pasted, {"no": "序号", "id_number": "身份证号", "name": "姓名"})  # 赵六 again, above a header
    {1: '标题', 2: '表头', 4: '表头'}
    >>> sections = pd.DataFrame({"no": ["一、特困人员（2人）", "1", "（二）低保对象", "2", "3.", "4. 孤儿"],
    ...                          "id_number": ["", "140823194001011239", "", "140823195001011236", "", ""],
    ...                          "name": ["", "张三", "", "李四", "", ""]})
    >>> rows_not_people(sections, {"no": "序号", "id_number": "身份证号", "name": "姓名"})  # "3." alone is a row
    {0: '标题', 2: '标题', 5: '标题'}
    >>> plain = pd.DataFrame({"no": ["特困人员", "1", "低保对象", "2", "孤儿"],
    ...                       "id_number": ["", "140823194001011239", "", "140823195001011236", ""],
    ...                       "name": ["", "张三", "", "李四", ""]})
    >>> rows_not_people(plain, {"no": "序号", "id_number": "身份证号", "name": "姓名"})  # unnumbered, over people
    {0: '标题', 2: '标题'}
    """
    ids = frame["id_number"]
    candidates = np.flatnonzero(~((ids.str.len() >= 15) & ids.str[:1].str.isdigit()).to_numpy(dtype=bool))
    if not len(candidates):
        return {}
    columns = [c for c in frame.columns if c not in ("_file", "_row", "_ragged")]
    heads = [header.get(c, "") for c in columns]
    name_at = columns.index("name") if "name" in columns else None
    kinds: dict[int, str] = {}
    named: set[int] = set()
    leading: set[int] = set()  # one text in the first column (序号, merged across): a heading over the rows below
    for at, values in zip(candidates.tolist(), frame.iloc[candidates][columns].to_numpy(dtype=object).tolist(),
                          strict=True):
        cells = [str(v).strip() for v in values]
        text = [t.strip() for c in cells for t in re.split(r"[,\t]", c) if t.strip()]
        if not text or any(ID_LIKE.search(t) for t in text):
            continue
        if sum(bool(c) for c in cells) > 1 and all(c == h for c, h in zip(cells, heads, strict=True) if c):
            kinds[at] = "表头"
        elif TOTAL.match(text[0]):
            kinds[at] = "合计"
        elif FOOTER.match(text[0]):
            kinds[at] = "表尾?"  # only under the last person
        elif len(text) == 1 and name_at is not None and NAME_ALONE.match(cells[name_at]):
            kinds[at] = "标题?"  # in the footer; above a header, a name alone under 姓名 is a person (ID left out)
            named.add(at)
        elif len(text) == 1:
            kinds[at] = "分节" if SECTION.match(text[0]) else "标题?"  # a section heading; else only above a header
            if cells[0] and columns[0] != "name" and not text[0].isdigit():
                leading.add(at)
    # The footer: from the first total or sign-off row under the last person, whatever follows (a date line)
    last = len(frame)
    while kinds.get(last - 1) in ("合计", "表尾?", "标题?"):
        last -= 1
    while kinds.get(last) == "标题?":
        last += 1
    for at, kind in list(kinds.items()):
        if kind == "表尾?" or (kind == "标题?" and at >= last):
            kinds[at] = "表尾" if at >= last else None
    for at in sorted((a for a, k in kinds.items() if k == "标题?"), reverse=True):
        below = at + 1
        heading = kinds.get(below) in ("表头", "标题") or (at in leading and below < last and kinds.get(below) is None)
        kinds[at] = "标题" if heading and at not in named else None  # else a person's
    return {at: "标题" if kind == "分节" else kind for at, kind in sorted(kinds.items()) if kind}


def read_drop(path: Path, source: Source, name: str | None = None) -> pd.DataFrame:
    """Read one drop into canonical columns plus ``_file`` (where the department finds the row) and ``_row``.

    ``_row`` is the 1-based data row number under the header, as the clerk counts rows in the template.
    ``_file`` is the department's file name; a workbook with several roster sheets (one per town, say) is
    read whole, and then ``_file`` names the sheet too: ``总名单.xlsx（工作表“侯村镇”）``. Columns the feed
    does not use are kept as ``_x:<header>`` so the feedback workbook can give the department its rows
    back as sent; ``attrs["layout"]`` holds each file's (or sheet's) title rows, headers, sheet name and
    rows passed over (``[row, what]``, for the feedback's cover), ``attrs["skipped_sheets"]`` what of a
    workbook was not read (hidden sheets, sheets without the header), and ``attrs["rows_passed_over"]`` the
    rows that are the roster's own furniture (:func:`rows_not_people`), for the feed's summary.
    """
    return read_feed([(path, name or path.name)], source)


def _drop_frames(path: Path, source: Source, name: str) -> tuple[list[pd.DataFrame], list[str]]:
    where = f"“{name}”（{source.department}）"  # in messages: 文件 “民政/总名单.xlsx”（民政局） 已拒收…
    if source.format == "xlsx":
        tables, skipped = _xlsx_tables(path, source, where)
    else:
        tables, skipped = [("", _csv_table(path, source, where))], []
    tables = [(sheet, raw) for sheet, raw in tables if not raw.empty]
    if not tables:
        raise FeedError(f"{where} 没有数据行")
    frames = [_canonical(raw, source, name) if len(tables) == 1 else
              _canonical(raw, source, f"{name}（工作表“{sheet}”）", sheet) for sheet, raw in tables]
    return frames, [f"{name}：{sheet}" for sheet in skipped]


def _canonical(raw: pd.DataFrame, source: Source, label: str, sheet: str | None = None) -> pd.DataFrame:
    header = [str(c) for c in raw.columns if not str(c).startswith("_")]
    columns: dict[str, pd.Series] = {}
    for position, column in enumerate(frame_columns(source, header)):
        values = raw.iloc[:, position].fillna("").astype("str")
        columns[column] = values if column.startswith("_x:") else _strip(values)
    for column in source.columns:
        columns.setdefault(column, pd.Series("", index=raw.index, dtype="str"))
    frame = pd.DataFrame(columns).reset_index(drop=True)
    frame["_file"] = label
    frame["_row"] = raw["_row"].to_numpy(np.int64)
    for extra in ("_ragged", "_raw"):
        frame[extra] = raw[extra].fillna("").astype("str").to_numpy() if extra in raw else ""
    furniture = rows_not_people(frame, dict(zip(frame_columns(source, header), header, strict=True)))
    passed_over = [[int(n), kind] for n, kind in zip(frame["_row"].iloc[list(furniture)], furniture.values(),
                                                     strict=True)]
    if furniture:
        frame = frame.drop(index=list(furniture)).reset_index(drop=True)
    frame.attrs["rows_passed_over"] = [f"{label}：第{n}行（{kind}）" for n, kind in passed_over]
    frame.attrs["layout"] = {label: {"title": raw.attrs.get("title", []), "header": header,
                                     **({"title_merges": raw.attrs["title_merges"]} if raw.attrs.get("title_merges")
                                        else {}),
                                     **({"sheet": sheet} if sheet else {}),
                                     **({"passed_over": passed_over} if passed_over else {})}}
    return frame


def read_feed(files: list[tuple[Path, str]], source: Source) -> pd.DataFrame:
    """All drops of one feed concatenated; ``files`` are (landed path, department file name) pairs."""
    frames, skipped = [], []
    for path, name in files:
        drop, passed_over = _drop_frames(path, source, name)
        frames += drop
        skipped += passed_over
    if not frames:
        return pd.DataFrame(columns=[*source.columns, "_file", "_row", "_ragged", "_raw"])
    feed = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    # optional columns (present in some drops only) and unused department columns: blank where a drop lacks them
    for column in [*source.optional, *feed.columns[feed.columns.str.startswith("_x:")]]:
        if column in feed:
            feed[column] = feed[column].fillna("")
    feed.attrs["layout"] = {k: v for f in frames for k, v in f.attrs["layout"].items()}
    feed.attrs["skipped_sheets"] = skipped
    feed.attrs["rows_passed_over"] = [row for f in frames for row in f.attrs["rows_passed_over"]]
    return feed
