"""Fund totals for finance (财政拨付): how much each fund / budget level owes, per town and per clause.

Computed from the current bills (cancelled ones carry zero), so the transfer request reconciles to the
bills to the fen; the workbook is refused if it does not. Each detail line carries the clause (政策依据)
the amounts come from.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from yibao.money import yuan_grouped
from yibao.outputs.xlsx import Sheet, write_xlsx

LINE_COLUMNS = ["fund", "town", "category", "basis", "persons", "amount_fen"]
HEADERS = {"fund": "资金来源（预算层级）", "town": "乡镇（街道）", "category": "人员类别", "basis": "政策依据",
           "persons": "人数", "amount_fen": "资助金额（元）"}


def fund_lines(bills: pd.DataFrame, fund_names: dict[str, str]) -> pd.DataFrame:
    """One line per fund, town, category and clause with persons and fen, from active bills' fund JSON.

    ``bills`` holds groups of bills alike (town, category, basis, status, funds) with their count
    (``bills``) and summed ``subsidy_fen``: every bill of a group carries the same split.
    """
    active = bills[bills["status"] == "active"]
    splits = {text: json.loads(text) for text in active["funds"].unique().tolist()}
    frames = []
    for fund, name in fund_names.items():
        fen = active["funds"].map({text: int(split.get(fund, 0)) for text, split in splits.items()}).astype("int64")
        part = active.assign(amount_fen=fen * active["bills"])[fen > 0]
        grouped = part.groupby(["town", "category", "basis"], sort=True).agg(
            persons=("bills", "sum"), amount_fen=("amount_fen", "sum")).reset_index()
        frames.append(grouped.assign(fund=name))
    lines = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LINE_COLUMNS)
    return lines[LINE_COLUMNS]


def totals(lines: pd.DataFrame, fund_names: dict[str, str]) -> dict[str, int]:
    """Fen per fund (every fund of the rules file, zero included), in the rules file's order."""
    by_fund = lines.groupby("fund")["amount_fen"].sum()
    return {name: int(by_fund.get(name, 0)) for name in fund_names.values()}


def write_transfer_request(path: Path, lines: pd.DataFrame, bills: pd.DataFrame, *, title: str,
                           as_of: dt.date) -> Path:
    """The 资金拨付申请 workbook: by fund, by fund and town, and the detail lines with their clause."""
    billed = int(bills.loc[bills["status"] == "active", "subsidy_fen"].sum())
    total = int(lines["amount_fen"].sum())
    if total != billed:
        raise RuntimeError(f"资金拨付合计 {yuan_grouped(total)} 元与单据资助金额合计 {yuan_grouped(billed)} 元不一致，"
                           "未输出")
    heading = (f"{title}（截至 {as_of.isoformat()}）",
               f"金额单位：元。合计 {yuan_grouped(total)} 元，与特殊缴费单据资助金额合计逐分核对一致。")
    by_fund = lines.groupby("fund", sort=False).agg(persons=("persons", "sum"), amount_fen=("amount_fen", "sum"))
    by_town = lines.groupby(["fund", "town"], sort=False).agg(persons=("persons", "sum"),
                                                              amount_fen=("amount_fen", "sum"))
    return write_xlsx(path, [
        Sheet("按资金来源", _single_chunk(by_fund.reset_index()), HEADERS, heading, money_fen=("amount_fen",)),
        Sheet("按资金来源和乡镇", _single_chunk(by_town.reset_index()), HEADERS, heading, money_fen=("amount_fen",)),
        Sheet("明细及政策依据", _single_chunk(lines), HEADERS, heading, money_fen=("amount_fen",)),
    ])


def _single_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects: the shared writer cannot yet take Arrow text split in chunks
    (what groupby/concat produce), see the hand-off note."""
    return frame.astype({c: "object" for c in frame.columns if pd.api.types.is_string_dtype(frame[c])})
