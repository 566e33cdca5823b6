"""``yibao ids check FILE``: check the ID numbers in a text, CSV or Excel file and say what is wrong.

Exit code 0 when every ID is valid, 1 when some are not, 2 when the file itself cannot be used.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pandas as pd

from yibao.cli.args import date_arg
from yibao.errors import UserError
from yibao.masking import mask_id_series
from yibao.readers import csv_as_utf8, xlsx_rows

#: Headers departments use for the ID column, tried in order when --column is not given.
ID_HEADERS = ("身份证号码", "身份证号", "公民身份号码", "证件号码", "身份证", "id_number")


def register(subparsers: argparse._SubParsersAction) -> None:
    ids = subparsers.add_parser("ids", help="身份证号码校验 (resident ID numbers)")
    sub = ids.add_subparsers(dest="ids_command", required=True, metavar="子命令")
    p = sub.add_parser(
        "check",
        help="校验文件中的身份证号码 (check the IDs in a file)",
        description="校验身份证号码：FILE 为每行一个号码的文本文件、CSV 或 XLSX。"
        "退出码：0 全部有效，1 有无效号码，2 文件无法使用。",
    )
    p.add_argument("file", metavar="FILE", type=Path, help="文本(.txt)、CSV(.csv) 或 Excel(.xlsx) 文件")
    p.add_argument("--column", help="身份证号码所在列的列名（CSV/XLSX；默认自动识别）")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象 (one JSON object per row)")
    p.add_argument("--as-of", type=date_arg, help="判断出生日期的基准日 YYYY-MM-DD（默认今天）")
    p.add_argument("--home-region", help="本县地址码（如 140823），外地号码作提示")
    p.set_defaults(func=run_check)


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"无法读取文件 {path.name}：{exc.strerror}") from None
    text = csv_as_utf8(data, path.name).decode("utf-8")
    if not text.strip():
        raise UserError(f"文件 {path.name} 为空")
    return text


def _pick_column(frame: pd.DataFrame, column: str | None, name: str) -> pd.Series:
    headers = [str(c).strip() for c in frame.columns]
    frame = frame.set_axis(headers, axis=1)
    if column is not None:
        if column not in headers:
            raise UserError(f"文件 {name} 中找不到列「{column}」，现有列：{'、'.join(headers)}")
        return frame[column]
    for header in ID_HEADERS:
        if header in headers:
            return frame[header]
    if len(headers) == 1:
        return frame[headers[0]]
    raise UserError(f"文件 {name} 中找不到身份证号码列，请用 --column 指定，现有列：{'、'.join(headers)}")


def read_ids(path: Path, column: str | None = None) -> pd.Series:
    """The ID column of a .txt (one per line), .csv or .xlsx file, as text exactly as written."""
    suffix = path.suffix.lower()
    if suffix not in (".txt", "", ".csv", ".xlsx", ".xlsm"):
        raise UserError(f"不支持的文件类型 {suffix}（支持 .txt、.csv、.xlsx）")
    if suffix in (".xlsx", ".xlsm"):
        # Numeric cells come back as Excel shows them (3.70481E+17), so damaged IDs are rejected, not trusted.
        rows = [r for r in xlsx_rows(path, path.name) if any(c.strip() for c in r)]
        if len(rows) < 2:
            raise UserError(f"文件 {path.name} 中没有数据行")
        frame = pd.DataFrame(rows[1:], columns=rows[0], dtype="string")
        return _pick_column(frame, column, path.name)
    text = _decode(path)
    if suffix == ".csv":
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.ParserError:
            raise UserError(f"CSV 文件 {path.name} 格式有误，无法解析") from None
        if frame.empty:
            raise UserError(f"文件 {path.name} 中没有数据行")
        return _pick_column(frame, column, path.name).astype("string")
    return pd.Series(text.rstrip("\r\n").splitlines(), dtype="string")


def run_check(args: argparse.Namespace) -> int:
    from yibao.ids import check, describe

    values = read_ids(args.file, args.column).reset_index(drop=True)
    result = check(values, as_of=args.as_of, home_region=args.home_region)
    explained = describe(result)
    birth = result["birth_date"].dt.strftime("%Y-%m-%d")
    if args.json:
        rows = pd.DataFrame(
            {
                "input": values.astype(object).where(values.notna(), None),
                "normalized": result["normalized"].astype(object).where(result["normalized"].notna(), None),
                "valid": result["valid"],
                "reasons": explained["reason_codes"].str.split(",").map(lambda c: [x for x in c if x]),
                "birth_date": birth.astype(object).where(birth.notna(), None),
                "sex": result["sex"].astype(object).where(result["sex"].notna(), None),
            }
        )
        for record in rows.to_dict("records"):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        shown = mask_id_series(result["normalized"].fillna(values))
        table = pd.DataFrame(
            {
                "行号": range(1, len(values) + 1),
                "身份证号码(脱敏)": shown.fillna(""),
                "结果": result["valid"].map({True: "有效", False: "无效"}),
                "出生日期": birth.fillna(""),
                "性别": result["sex"].fillna(""),
                "问题说明": explained["reason_text"],
            }
        )
        with pd.option_context("display.unicode.east_asian_width", True, "display.max_colwidth", None):
            print(table.to_string(index=False))
        invalid = int((~result["valid"]).sum())
        print(f"共 {len(values)} 条，有效 {len(values) - invalid} 条，无效 {invalid} 条")
    return 0 if bool(result["valid"].all()) else 1
