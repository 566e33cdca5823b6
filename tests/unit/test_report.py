"""The daily report's two files from hand-made figures: a county without task targets, an empty trend."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd

from yibao import coverage, policy
from yibao.outputs.report import Report, write_html_report, write_xlsx_report
from yibao.stages.coverage import headline_figures


def report_for(county: str, towns: pd.DataFrame, trend: pd.DataFrame) -> Report:
    rules = policy.load(county)
    statuses = {k: 0 for k in coverage.STATUSES} | {"paid": 90, "unpaid": 10, "excluded_employee": 5}
    villages = towns.assign(village="一村")
    assisted = pd.DataFrame({"category": ["特困人员"], "should_insure": [3], "paid": [2], "gap": [1], "rate": [2 / 3]})
    return Report(headline_figures(rules, towns, statuses, dt.date(2023, 12, 1), 2, 4), towns, villages, assisted, statuses,
                  trend)


def towns_frame(task: list) -> pd.DataFrame:
    return pd.DataFrame({
        "town": ["荆河街道", "龙泉街道"], "task_population": pd.array(task, dtype="Int64"), "should_insure": [60, 40],
        "paid": [54, 36], "gap": [6, 4], "rate": [0.9, 0.9], "task_rate": [54 / t if t else None for t in task],
        "late": [0, 0], "assisted_should": [2, 1], "assisted_paid": [2, 0], "assisted_rate": [1.0, 0.0],
        "excluded": [3, 2], "partial_households": [1, 3],
    }).astype({"task_rate": "float64"})


def test_county_without_targets(tmp_path):
    trend = pd.DataFrame({"as_of": [dt.date(2023, 12, 1)], "should_insure": [100], "paid": [90], "gap": [10],
                          "rate": [0.9], "assisted_should": [3], "assisted_paid": [2]})
    report = report_for("tengzhou-2024", towns_frame([None, None]), trend)
    assert report.headline["task_population"] is None and report.headline["days_left"] == 30
    html = write_html_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "滕州市 2024年度" in html and "任务完成率（" not in html and "剩余 <b>30</b> 天" in html
    book = openpyxl.load_workbook(write_xlsx_report(report, tmp_path / "r.xlsx"))
    towns = book["镇街进度"]
    assert [c.value for c in towns[2]][:4] == ["镇街", "任务数", "应参保人数", "已缴费人数"]
    assert towns["B3"].value is None and towns["F3"].value == 0.9 and towns["F3"].number_format == "0.00%"
    overview = {r[0].value: r[1].value for r in book["总览"].iter_rows(min_row=3)}
    assert overview["任务数"] == "—" and overview["缴费率"] == "90.0%" and overview["退费候选人数"] == "2"


def test_task_progress_and_an_empty_trend(tmp_path):
    trend = pd.DataFrame({c: pd.Series(dtype="int64") for c in
                          ("should_insure", "paid", "gap", "assisted_should", "assisted_paid")})
    trend.insert(0, "as_of", pd.Series(dtype="object"))
    trend["rate"] = pd.Series(dtype="float64")
    report = report_for("wenxi-2024", towns_frame([1000, 800]), trend)
    assert report.headline["task_rate"] == 90 / 1800
    html = write_html_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "任务完成率（1,800）" in html and html.count("<svg") == 4
