"""``yibao ids check FILE``: check the ID numbers in a text, CSV or Excel file and say what is wrong.

Exit code 0 when every ID is valid, 1 when some are not, 2 when the file itself cannot be used (a
duplicated ID header, ragged rows, an unreadable file: one Chinese message, never a traceback).

Output is written in blocks built with Arrow string kernels, not row by row, so a million IDs stream
out in about a second with bounded memory (``bench/bench_ids.py`` measures the whole process).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from yibao.cli.args import date_arg
from yibao.errors import UserError
from yibao.readers import DELIMITERS, HEADER_SEARCH_ROWS, csv_as_utf8, xlsx_frame
from yibao.sources import bare, fold

#: Headers departments use for the ID column, tried in order when --column is not given.
ID_HEADERS = ("身份证号码", "身份证号", "公民身份号码", "证件号码", "身份证", "id_number")
#: A cell that is an ID number itself (so the file has no header row).
ID_LIKE = re.compile(r"^(?:[0-9]{15}|[0-9]{17}[0-9Xx])$")
BLOCK = 200_000  # rows formatted and written at a time
#: Text json.dumps escapes (control characters, quote, backslash), plus the characters that other tools
#: take for line breaks (NEL, U+2028, U+2029): escaped too, so one JSON object is always one line.
NEEDS_ESCAPE = r'[\x00-\x1f"\\\x{85}\x{2028}\x{2029}]'
LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
#: Characters shown as U+FFFD in the table so a row stays one line.
UNPRINTABLE = r"[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]"


def register(subparsers: argparse._SubParsersAction) -> None:
    ids = subparsers.add_parser("ids", help="身份证号码校验 (resident ID numbers)")
    sub = ids.add_subparsers(dest="ids_command", required=True, metavar="子命令")
    p = sub.add_parser(
        "check",
        help="校验文件中的身份证号码 (check the IDs in a file)",
        description="校验身份证号码：FILE 为每行一个号码的文本文件、CSV（含 Excel 另存的 Unicode 文本）或 XLSX。"
        "退出码：0 全部有效，1 有无效号码，2 文件无法使用。",
    )
    p.add_argument("file", metavar="FILE", type=Path, help="文本(.txt)、CSV(.csv) 或 Excel(.xlsx) 文件")
    p.add_argument("--column", help="身份证号码所在列的列名（CSV/XLSX；默认自动识别）")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象 (one JSON object per row)")
    p.add_argument("--as-of", type=date_arg, help="判断出生日期的基准日 YYYY-MM-DD（默认今天）")
    p.add_argument("--home-region", help="本县地址码（如 140823），外地号码作提示")
    p.set_defaults(func=run_check)


def _utf8(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"无法读取文件 {path.name}：{exc.strerror}") from None
    data = csv_as_utf8(data, path.name)
    if not data.strip():
        raise UserError(f"文件 {path.name} 为空")
    return data


def _lines(data: bytes) -> pa.Array:
    """UTF-8 text split at \\n (a \\r before it dropped) into an Arrow array without Python strings.

    Only \\n ends a line: U+2028, NEL, \\x0b, \\x1c … inside a line are characters of that line (str.splitlines
    would make phantom rows of them). The bytes are valid UTF-8 and \\n never occurs inside a character.
    """
    buf = np.frombuffer(data.rstrip(b"\r\n"), dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(buf)]])
    cr = (stops > starts) & (buf[np.maximum(stops - 1, 0)] == 13)
    stops = stops - cr
    keep = np.ones(len(buf), dtype=bool)
    keep[ends] = False
    keep[(stops[cr])] = False
    offsets = np.concatenate([[0], np.cumsum(stops - starts)]).astype(np.int64)
    body = buf[keep]
    return pa.Array.from_buffers(
        pa.large_string(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(body.tobytes())]
    )


def _table_start(text: str, wanted: list[str]) -> tuple[str, int] | None:
    """The delimiter under which one of the first rows names the ID column (a tab: Excel's Unicode text, as
    .txt or .csv), and that row's index (title rows above it are skipped); None when no row does."""
    lines = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    for delimiter in DELIMITERS:
        for at, row in enumerate(csv.reader(lines, delimiter=delimiter)):
            if _named([c.strip() for c in row], wanted):
                return delimiter, at
    return None


def _csv_columns(text: str, name: str, delimiter: str = ",", skip: int = 0) -> list[pa.Array]:
    """Every column of a CSV as text from row ``skip`` (its header) on; rows of another width are an error."""
    first = next(csv.reader(io.StringIO(text.split("\n", skip)[-1].lstrip("\r\n")), delimiter=delimiter), [])
    width = len(first)
    ragged: list[int] = []

    def ragged_row(row) -> str:
        ragged.append(row.number)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False, skip_rows=skip),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=ragged_row),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(width)}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        raise UserError(f"CSV 文件 {name} 格式有误，无法解析") from None
    if ragged:
        lines = "、".join(map(str, ragged[:10])) + ("等" if len(ragged) > 10 else "")
        raise UserError(
            f"CSV 文件 {name} 第 {lines} 行的列数与第 1 行（{width} 列）不一致，共 {len(ragged)} 行；"
            "请检查是否多了或少了逗号（含逗号的内容请加引号）后重试"
        )
    return [table.column(i).combine_chunks() for i in range(table.num_columns)]


def _named(cells: list[str], wanted: list[str]) -> list[int]:
    """Where ``cells`` name one of ``wanted``: exactly first, then without bracketed remarks."""
    for norm in (fold, bare):
        for header in wanted:
            if found := [i for i, cell in enumerate(cells) if cell and norm(cell) == norm(header)]:
                return found
    return []


def _pick_column(columns: list[pa.Array], column: str | None, name: str) -> pa.Array:
    """The ID column without its header, and without the title rows a template has above it (the header is
    the first of the first few rows naming the column); a file whose first row holds an ID has no header row.
    Names match exactly first, then without bracketed remarks (``身份证号码（务必正确）``)."""
    wanted = [column] if column is not None else list(ID_HEADERS)

    def row(at: int) -> list[str]:
        return ["" if c[at].as_py() is None else str(c[at].as_py()).strip() for c in columns]

    top = min(HEADER_SEARCH_ROWS, len(columns[0]))
    titles = next((at for at in range(top) if _named(row(at), wanted)), 0)
    columns = [c.slice(titles) for c in columns]
    first = row(0)
    hits = _named(first, wanted)
    if column is None and not hits:
        found = [i for i, cell in enumerate(first) if ID_LIKE.match(fold(cell))]
        if found:
            print(
                f"提示：文件 {name} 没有表头（第 1 行即身份证号码），已按无表头处理，校验第 {found[0] + 1} 列的每一行",
                file=sys.stderr,
            )
            return columns[found[0]]
    if len(hits) > 1:
        at = "、".join(f"第 {i + 1} 列" for i in hits)
        raise UserError(f"文件 {name} 中列名“{first[hits[0]]}”重复（{at}），无法确定用哪一列；请删除或改名后重试")
    if hits:
        return columns[hits[0]].slice(1)
    listed = "、".join(first)
    if column is not None:
        raise UserError(f"文件 {name} 中找不到列「{column}」，现有列：{listed}")
    if len(columns) == 1:
        return columns[0].slice(1)
    raise UserError(f"文件 {name} 中找不到身份证号码列，请用 --column 指定，现有列：{listed}")


def read_ids(path: Path, column: str | None = None) -> pa.Array:
    """The ID column of a .txt (one per line, or a table with tabs as Excel saves Unicode text), .csv or .xlsx
    (.xls) file, as text exactly as written."""
    suffix = path.suffix.lower()
    if suffix not in (".txt", "", ".csv", ".xlsx", ".xlsm", ".xls"):
        raise UserError(f"不支持的文件类型 {suffix}（支持 .txt、.csv、.xlsx、.xls）")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        # Numeric cells come back as Excel shows them (3.70481E+17), so damaged IDs are rejected, not trusted.
        cells = xlsx_frame(path, path.name)
        if cells.empty:
            raise UserError(f"文件 {path.name} 中没有数据行")
        columns = [pa.array(cells[c], pa.large_string()) for c in cells.columns]
        values = _pick_column(columns, column, path.name)
    else:  # a list of IDs one per line, or a table (CSV, or Excel's Unicode text: tabs) naming its ID column
        data = _utf8(path)
        head = data[: 1 << 16].decode("utf-8", errors="ignore")  # the first rows, for the header
        start = _table_start(head, [column] if column else list(ID_HEADERS)) or (
            (",", 0) if suffix == ".csv" else None)
        values = _lines(data) if start is None else _pick_column(
            _csv_columns(data.decode("utf-8"), path.name, *start), column, path.name)
    if len(values) == 0:
        raise UserError(f"文件 {path.name} 中没有数据行")
    return values


def _join(*parts, separator: str = "") -> pa.Array:
    """Element-wise concatenation; plain ``str`` parts are constants (as large_string, like the arrays)."""
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p.cast(pa.large_string()) for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar(separator, pa.large_string()))


def _quoted(arr: pa.Array) -> pa.Array:
    """JSON string literals of text that needs no escaping; null stays null."""
    return _join('"', arr, '"')


def _json_text(values: pa.Array) -> pa.Array:
    """JSON literals of arbitrary input text: Arrow for the plain ones, json.dumps for the few others."""
    plain = pc.fill_null(pc.invert(pc.match_substring_regex(values, NEEDS_ESCAPE)), True)
    out = pc.fill_null(_quoted(values), "null")
    rows = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        return out
    escaped = [_dumps(v) for v in values.take(pa.array(rows)).to_pylist()]
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(out, pa.array(mask), pa.array(escaped, pa.large_string()))


def _dumps(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    for char, escape in LINE_BREAKS.items():
        out = out.replace(char, escape)
    return out


def _json_block(values: pa.Array, result, explained) -> pa.Array:
    """One JSON object per row, keys in the documented order, as json.dumps would write them (any input)."""
    codes = pa.array(explained["reason_codes"].array).cast(pa.large_string())
    reasons = pc.if_else(
        pc.equal(codes, ""), "[]", _join('["', pc.replace_substring(codes, ",", '", "'), '"]')
    )
    birth = pa.array(result["birth_date"].to_numpy().astype("datetime64[D]"), mask=result["birth_date"].isna().to_numpy())
    parts = [
        '{"input": ', _json_text(values),
        ', "normalized": ', pc.fill_null(_quoted(_large(result["normalized"])), "null"),
        ', "valid": ', pc.if_else(pa.array(result["valid"].to_numpy()), "true", "false"),
        ', "reasons": ', reasons,
        ', "birth_date": ', pc.fill_null(_quoted(birth.cast(pa.large_string())), "null"),
        ', "sex": ', pc.fill_null(_quoted(_large(result["sex"])), "null"),
        "}\n",
    ]  # fmt: skip
    return _join(*parts)


def _large(series) -> pa.Array:
    return pa.array(series.array).cast(pa.large_string())


def _masked(values: pa.Array, normalized: pa.Array) -> pa.Array:
    """Masked IDs (region + last four) for display; values that are not 18 characters are fully starred
    between the same positions by :func:`yibao.masking.mask_id`."""
    from yibao.masking import mask_id

    shown = pc.coalesce(normalized, values)
    ok = pc.fill_null(pc.equal(pc.utf8_length(shown), 18), False)
    fast = _join(pc.utf8_slice_codeunits(shown, 0, 6), "********", pc.utf8_slice_codeunits(shown, 14, 18))
    rows = np.flatnonzero(~ok.to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        return fast
    other = [mask_id(v or "") for v in shown.take(pa.array(rows)).to_pylist()]
    mask = np.zeros(len(shown), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(fast, pa.array(mask), pa.array(other, pa.large_string()))


#: Table columns: header and display width (CJK characters count two).
TABLE = (("行号", 0), ("身份证号码(脱敏)", 18), ("结果", 4), ("出生日期", 10), ("性别", 4), ("问题说明", 0))


def _table_header(rows: int) -> str:
    widths = [max(len(str(rows)), 4), 18, 4, 10, 4]
    cells = [TABLE[0][0].ljust(widths[0] - 2)] + [
        h.ljust(w - sum(1 for ch in h if ord(ch) > 0x2E7F)) for (h, _), w in zip(TABLE[1:5], widths[1:], strict=True)
    ]
    return "  ".join([*cells, TABLE[5][0]]) + "\n"


def _table_block(at: np.ndarray, rows: int, values: pa.Array, result, explained) -> pa.Array:
    """Table lines of rows at 0-based positions ``at`` (through Arrow kernels: any input, any reason)."""
    number = pc.utf8_rpad(pa.array(at + 1).cast(pa.large_string()), max(len(str(rows)), 4))
    shown = _masked(values, _large(result["normalized"]))
    shown = pc.utf8_rpad(pc.replace_substring_regex(shown, UNPRINTABLE, "\ufffd"), 18)
    verdict = pc.if_else(pa.array(result["valid"].to_numpy()), "有效", "无效")
    birth = pa.array(result["birth_date"].to_numpy().astype("datetime64[D]"), mask=result["birth_date"].isna().to_numpy())
    birth = pc.fill_null(birth.cast(pa.large_string()), " " * 10)
    sex = pc.fill_null(_join(_large(result["sex"]), "  "), "    ")
    text = _large(explained["reason_text"])
    return _join(number, shown, verdict, birth, sex, text, separator="  ")


def _write(lines: pa.Array) -> None:
    """Write a block of lines ending in \\n as one buffer (no per-row Python strings)."""
    joined = lines.cast(pa.large_string())
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset : joined.offset + len(joined) + 1]
    data = joined.buffers()[2]
    chunk = memoryview(data)[int(offsets[0]) : int(offsets[-1])] if data is not None else b""
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(bytes(chunk).decode("utf-8"))
    else:
        sys.stdout.flush()
        out.write(chunk)
        out.flush()


_MALE, _FEMALE = "男".encode(), "女".encode()


def _template_lines(ids: np.ndarray, parts: list[bytes | str]) -> pa.Array:
    """Fixed-width lines for plain valid IDs (an (n, 18) byte matrix), filled into a byte template.

    ``parts`` alternates literal bytes and slot names: ``id`` (18), ``masked`` (18), ``birth`` (10),
    ``sex`` (男/女, 3 bytes). Nearly every row of a real file takes this path: no per-row work at all.
    """
    widths = {"id": 18, "masked": 18, "birth": 10, "sex": 3}
    template = b"".join(p if isinstance(p, bytes) else b"?" * widths[p] for p in parts)
    m = np.empty((len(ids), len(template)), dtype=np.uint8)
    m[:] = np.frombuffer(template, dtype=np.uint8)
    at = 0
    for p in parts:
        if isinstance(p, bytes):
            at += len(p)
            continue
        if p == "id":
            m[:, at : at + 18] = ids
        elif p == "masked":
            m[:, at : at + 6] = ids[:, :6]
            m[:, at + 6 : at + 14] = ord("*")
            m[:, at + 14 : at + 18] = ids[:, 14:]
        elif p == "birth":
            m[:, at : at + 4], m[:, at + 5 : at + 7], m[:, at + 8 : at + 10] = ids[:, 6:10], ids[:, 10:12], ids[:, 12:14]
            m[:, at + 4] = m[:, at + 7] = ord("-")
        else:
            male = (ids[:, 16] - 48) % 2 == 1
            m[:, at : at + 3] = np.where(male[:, None], np.frombuffer(_MALE, np.uint8), np.frombuffer(_FEMALE, np.uint8))
        at += widths[p]
    width = m.shape[1]
    offsets = pa.py_buffer(np.arange(0, width * (len(ids) + 1), width, dtype=np.int64))
    return pa.Array.from_buffers(pa.large_string(), len(ids), [None, offsets, pa.py_buffer(m.tobytes())])


def _block_lines(values: pa.Array, block, json_out: bool, start: int, total: int) -> pa.Array:
    """The output lines of one block: plain valid rows from a template, the others through Arrow kernels."""
    from yibao.ids import describe
    from yibao.ids.matrix import ascii_matrix

    plain = (block["reason_mask"].to_numpy() == 0) & pc.fill_null(
        pc.equal(values, _large(block["normalized"])), False
    ).to_numpy(zero_copy_only=False)
    rows, others = np.flatnonzero(plain), np.flatnonzero(~plain)
    ids = ascii_matrix(values, rows)
    if json_out:
        fast = _template_lines(ids, [b'{"input": "', "id", b'", "normalized": "', "id",
                                     b'", "valid": true, "reasons": [], "birth_date": "', "birth",
                                     b'", "sex": "', "sex", b'"}\n'])  # fmt: skip
    else:
        width = max(len(str(total)), 4)
        number = pc.utf8_rpad(pa.array(rows + start + 1).cast(pa.large_string()), width)
        head = np.frombuffer(number.buffers()[2], np.uint8)[: width * len(rows)].reshape(-1, width)
        lines = _template_lines(ids, [b"  ", "masked", "  有效  ".encode(), "birth", b"  ", "sex", b"\n"])
        fast = _join(pa.Array.from_buffers(
            pa.large_string(), len(rows),
            [None, pa.py_buffer(np.arange(0, width * (len(rows) + 1), width, dtype=np.int64)), pa.py_buffer(head.tobytes())],
        ), lines)  # fmt: skip
    if len(others) == 0:
        return fast
    slow_values, slow = values.take(pa.array(others)), block.iloc[others]
    explained = describe(slow)
    if json_out:
        slow_lines = _json_block(slow_values, slow, explained)
    else:
        slow_lines = _join(pc.utf8_rtrim_whitespace(_table_block(others + start, total, slow_values, slow, explained)), "\n")
    order = np.empty(len(values), dtype=np.int64)
    order[rows] = np.arange(len(rows))
    order[others] = len(rows) + np.arange(len(others))
    return pa.concat_arrays([fast, slow_lines.cast(pa.large_string())]).take(pa.array(order))


def run_check(args: argparse.Namespace) -> int:
    import pandas as pd

    from yibao.ids import check

    values = read_ids(args.file, args.column)
    result = check(pd.Series(pd.arrays.ArrowStringArray(values)), as_of=args.as_of, home_region=args.home_region)
    n = len(values)
    if not args.json:
        sys.stdout.write(_table_header(n))
    for start in range(0, n, BLOCK):
        _write(_block_lines(values.slice(start, BLOCK), result.iloc[start : start + BLOCK], args.json, start, n))
    invalid = int((~result["valid"]).sum())
    if not args.json:
        sys.stdout.write(f"共 {n} 条，有效 {n - invalid} 条，无效 {invalid} 条\n")
    return 0 if invalid == 0 else 1
