"""The daily report for the medical insurance bureau: one XLSX workbook (a sheet per view) and one
self-contained HTML page with charts (inline SVG and CSS: it opens with no network, and prints).

It holds aggregates only — no names or ID numbers — so it can be mailed around the bureau; the lists
next to it in the outbox hold the people.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from yibao.coverage import STATUSES
from yibao.outputs import charts
from yibao.outputs.xlsx import Sheet, write_xlsx

TOWN_HEADERS = {
    "town": "镇街", "task_population": "任务数", "should_insure": "应参保人数", "paid": "已缴费人数", "gap": "未缴费人数",
    "rate": "缴费率", "task_rate": "任务完成率", "late": "逾期缴费人数", "assisted_should": "资助对象人数",
    "assisted_paid": "资助对象已缴", "assisted_rate": "资助对象参保率", "excluded": "不计入人数",
    "partial_households": "部分缴费家庭（户）",
}
VILLAGE_HEADERS = {"town": "镇街", "village": "村（社区）", **{
    k: TOWN_HEADERS[k] for k in ("should_insure", "paid", "gap", "rate", "late", "assisted_should", "assisted_paid",
                                 "assisted_rate", "excluded")}}
ASSISTED_HEADERS = {"category": "资助类别", "should_insure": "应参保人数", "paid": "已缴费人数", "gap": "未缴费人数",
                    "rate": "参保率"}
TREND_HEADERS = {"as_of": "统计日期", "should_insure": "应参保人数", "paid": "已缴费人数", "gap": "未缴费人数",
                 "rate": "缴费率", "assisted_should": "资助对象人数", "assisted_paid": "资助对象已缴"}
RATES = ("rate", "task_rate", "assisted_rate")


@dataclass(frozen=True)
class Report:
    """Everything the report shows: headline figures and the tables behind the charts."""

    headline: dict
    towns: pd.DataFrame
    villages: pd.DataFrame
    assisted: pd.DataFrame
    statuses: dict[str, int]
    trend: pd.DataFrame


def _pct(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.1%}"


def _num(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(value):,}"


def write_xlsx_report(report: Report, path: Path) -> Path:
    h = report.headline
    overview = pd.DataFrame({
        "item": ["统计日期", "集中征缴期", "征缴期剩余天数", "全部人员", "应参保人数", "已缴费人数", "未缴费人数", "缴费率",
                 "任务数", "任务完成率", "资助对象人数", "资助对象已缴", "资助对象参保率", "逾期缴费人数", "退费候选人数"],
        "value": [h["as_of"], f"{h['window_start']} 至 {h['window_end']}", h["days_left"], _num(h["population"]),
                  _num(h["should_insure"]), _num(h["paid"]), _num(h["gap"]), _pct(h["rate"]),
                  _num(h["task_population"]), _pct(h["task_rate"]), _num(h["assisted_should"]),
                  _num(h["assisted_paid"]), _pct(h["assisted_rate"]), _num(h["late"]), _num(h["refunds"])],
    })
    statuses = pd.DataFrame({"status": [STATUSES[k] for k in report.statuses], "persons": list(report.statuses.values())})
    title = (f"{h['county']} {h['year']}年度城乡居民基本医疗保险参保缴费日报（截至 {h['as_of']}）",)
    trend = report.trend.assign(as_of=report.trend["as_of"].astype("str"))
    return write_xlsx(path, [
        Sheet("总览", overview, {"item": "项目", "value": "数值"}, title=title),
        Sheet("镇街进度", report.towns[list(TOWN_HEADERS)], TOWN_HEADERS, title=title, percent=RATES),
        Sheet("村居进度", report.villages[list(VILLAGE_HEADERS)], VILLAGE_HEADERS, title=title, percent=RATES),
        Sheet("资助对象", report.assisted[list(ASSISTED_HEADERS)], ASSISTED_HEADERS, title=title, percent=("rate",)),
        Sheet("参保状态", statuses, {"status": "状态", "persons": "人数"}, title=title),
        Sheet("每日趋势", trend[list(TREND_HEADERS)], TREND_HEADERS, title=title, percent=("rate",)),
    ])


def _charts(report: Report) -> dict[str, Markup]:
    h, towns = report.headline, report.towns
    notes = [f"{_num(p)} / {_num(s)}" + ("" if pd.isna(t) else f"　任务 {_num(t)}，完成 {_pct(r)}")
             for p, s, t, r in zip(towns["paid"], towns["should_insure"], towns["task_population"], towns["task_rate"],
                                   strict=True)]
    trend = report.trend
    window = (dt.date.fromisoformat(h["window_start"]), dt.date.fromisoformat(h["window_end"]))
    assisted = report.assisted
    return {
        "towns": Markup(charts.progress_bars(list(towns["town"]), [None if pd.isna(r) else float(r) for r in towns["rate"]],
                                             notes, title="各镇街参保缴费率")),
        "trend": Markup(charts.trend_lines(list(trend["as_of"]), {
            "已缴费人数": [float(v) for v in trend["paid"]], "应参保人数": [float(v) for v in trend["should_insure"]],
        }, window, title="征缴进度趋势")),
        "assisted": Markup(charts.progress_bars(
            list(assisted["category"]), [None if pd.isna(r) else float(r) for r in assisted["rate"]],
            [f"{_num(p)} / {_num(s)}" for p, s in zip(assisted["paid"], assisted["should_insure"], strict=True)],
            title="资助对象参保率")),
        "statuses": Markup(charts.share_bar([(STATUSES[k], v) for k, v in report.statuses.items() if v],
                                            title="参保状态构成")),
    }


def write_html_report(report: Report, path: Path) -> Path:
    env = Environment(loader=PackageLoader("yibao.outputs", "templates"), autoescape=select_autoescape(["j2", "html"]))
    page = env.get_template("report.html.j2").render(
        h=report.headline, charts=_charts(report), pct=_pct, num=_num,
        towns=report.towns.to_dict("records"), assisted=report.assisted.to_dict("records"),
        lowest=report.villages[report.villages["should_insure"] > 0].nsmallest(15, "rate").to_dict("records"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
