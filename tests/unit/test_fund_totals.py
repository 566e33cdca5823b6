"""Fund totals for finance reconcile to the bills to the fen, per fund, town and clause (滕州 splits)."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest

from yibao import fund_totals

NAMES = {"medical_assistance": "医疗救助资金", "city_budget": "市级财政", "town_budget": "镇街财政"}
BASIS_TK = "滕政办发〔2023〕33号 三（一）"
BASIS_YF = "滕政办发〔2023〕33号 三（三）"


def bills():
    """(town, category, basis, status, funds fen) — 特困 from 医疗救助资金; 一女户 split city 60 / town 40."""
    rows = [
        ("龙泉街道", "特困人员", BASIS_TK, "active", {"medical_assistance": 38000}),
        ("龙泉街道", "特困人员", BASIS_TK, "active", {"medical_assistance": 38000}),
        ("龙泉街道", "计生优待家庭成员", BASIS_YF, "active", {"city_budget": 11401, "town_budget": 7601}),
        ("善南街道", "计生优待家庭成员", BASIS_YF, "active", {"city_budget": 11401, "town_budget": 7601}),
        ("善南街道", "特困人员", BASIS_TK, "cancelled", {}),
    ]
    frame = pd.DataFrame({
        "town": [r[0] for r in rows], "category": [r[1] for r in rows], "basis": [r[2] for r in rows],
        "status": [r[3] for r in rows], "funds": [json.dumps(r[4]) for r in rows],
        "subsidy_fen": [sum(r[4].values()) for r in rows],
    })
    # as the warehouse hands them over: bills alike counted, their subsidies summed
    return frame.groupby(list(frame.columns[:-1]), as_index=False).agg(
        bills=("subsidy_fen", "size"), subsidy_fen=("subsidy_fen", "sum"))


def test_lines_and_totals_reconcile_and_the_workbook_reads_back(tmp_path):
    held = bills()
    lines = fund_totals.fund_lines(held, NAMES)
    assert fund_totals.totals(lines, NAMES) == {"医疗救助资金": 76000, "市级财政": 22802, "镇街财政": 15202}
    assert sum(fund_totals.totals(lines, NAMES).values()) == held.loc[held["status"] == "active", "subsidy_fen"].sum()
    path = fund_totals.write_transfer_request(tmp_path / "资金拨付申请.xlsx", lines, held, title="滕州市2024年度资助资金拨付申请",
                                              as_of=dt.date(2023, 12, 25))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["按资金来源", "按资金来源和乡镇", "明细及政策依据"]
    rows = [[c.value for c in r] for r in book["明细及政策依据"].iter_rows()]
    assert rows[0][0].startswith("滕州市2024年度资助资金拨付申请（截至 2023-12-25）")
    header = rows.index(["资金来源（预算层级）", "乡镇（街道）", "人员类别", "政策依据", "人数", "资助金额（元）"])
    detail = rows[header + 1:]
    assert ["镇街财政", "善南街道", "计生优待家庭成员", BASIS_YF, 1, 76.01] in detail
    assert ["医疗救助资金", "龙泉街道", "特困人员", BASIS_TK, 2, 760.0] in detail
    assert round(sum(r[5] for r in detail) * 100) == 76000 + 22802 + 15202
    by_fund = [[c.value for c in r] for r in book["按资金来源"].iter_rows()]
    assert ["市级财政", 2, 228.02] in by_fund


def test_a_request_that_does_not_match_the_bills_is_refused(tmp_path):
    held = bills()
    lines = fund_totals.fund_lines(held, NAMES)
    lines.loc[0, "amount_fen"] += 1
    with pytest.raises(RuntimeError, match="不一致"):
        fund_totals.write_transfer_request(tmp_path / "x.xlsx", lines, held, title="t", as_of=dt.date(2023, 12, 25))
    assert not (tmp_path / "x.xlsx").exists()
