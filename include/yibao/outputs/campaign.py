"""The Airflow UI page of the campaign (one county per page, links to the others): the same charts as the
daily report, plus approval, rejections and feed freshness. Aggregates and masked IDs only."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from yibao.campaign_view import CountyView
from yibao.money import yuan_grouped
from yibao.outputs import charts

CHANGES = {"new": "新增", "amended": "变更", "cancelled": "作废"}
STAGES = {"staging": "入库校验", "crosscheck": "与户籍核对"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: int | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def render(view: CountyView, counties: list[str], base: str) -> str:
    """The page for ``view``; ``counties`` (rules ids) become links ``{base}/{county}``."""
    towns = view.towns
    notes = [f"{_num(t['paid'])} / {_num(t['should_insure'])}"
             + ("" if t["task_population"] is None else f"　任务 {_num(t['task_population'])}，完成 {_pct(t['task_rate'])}")
             for t in towns]
    chart = {
        "towns": Markup(charts.progress_bars([t["town"] for t in towns], [t["rate"] for t in towns], notes,
                                             title="各镇街参保缴费率")),
        "trend": Markup(charts.trend_lines([d["as_of"] for d in view.trend], {
            "已缴费人数": [float(d["paid"]) for d in view.trend],
            "应参保人数": [float(d["should_insure"]) for d in view.trend]}, view.window, title="征缴进度趋势")),
    } if towns else {}
    latest = view.trend[-1] if view.trend else None
    env = Environment(loader=PackageLoader("yibao.outputs", "templates"), autoescape=select_autoescape(["j2", "html"]))
    return env.get_template("campaign.html.j2").render(
        v=view, counties=counties, base=base, chart=chart, latest=latest, pct=_pct, num=_num, yuan=yuan_grouped,
        changes=CHANGES, stages=STAGES, pending=[b for b in view.batches if b["status"] == "pending"],
        task=sum(t["task_population"] or 0 for t in towns) or None,
    )
