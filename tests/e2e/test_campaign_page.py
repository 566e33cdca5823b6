"""The 参保征缴看板 plugin page in headless Chromium: the plugin's FastAPI app is served (in a child process,
login replaced by a fixed user) over a warehouse the pipeline filled for a generated 闻喜 county, and the
page must show that county's figures — coverage by town, the pending batch with masked IDs, rejections per
department, feed freshness and what each load read around or why it failed — with no full ID number."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from yibao import money_path, pipeline, storage, synth
from yibao.outputs.campaign import STAGES
from yibao.sources import load_sources

PROJECT = Path(__file__).resolve().parents[2]
SERVER = """
import runpy, sys
import uvicorn
from fastapi import FastAPI
from airflow.api_fastapi.core_api.security import get_user
plugin = runpy.run_path(sys.argv[1])
app = plugin["app"]
app.dependency_overrides[get_user] = lambda: object()  # the test stands in for a logged-in Airflow user
root = FastAPI()
root.mount(plugin["PREFIX"], app)
uvicorn.run(root, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
NEW_PERSON = ("140823194001011239", "张三丰", "东镇镇", 30400)


def _messy_drops(inbox: Path) -> None:
    """What the feed table must explain: 残联's roster with its footer, beside last month's roster and an
    editor's hidden lock file; 退役军人's list sent without the template's header (that feed fails)."""
    (roster,) = (inbox / "残联").glob("*.csv")
    shutil.copy(roster, roster.with_name("闻喜县残联残疾人名单_20231125.csv"))
    (inbox / "残联" / ".~lock.残疾人名单.csv#").write_text("lock", encoding="utf-8")
    with roster.open("a", encoding="gb18030", newline="") as out:
        out.write("合计：共计若干人,,,,,,\r\n填表人：李娜,联系电话：0359-7021234\r\n")
    (veterans,) = (inbox / "退役军人").glob("*.csv")
    veterans.write_text("编号,名字\n1,某某\n", encoding="utf-8")


@pytest.fixture
def demo_county(settings, tmp_path, record_bills):
    """A generated county through the whole pipeline (some drops messy), then a changed bill set waiting for
    approval."""
    synth.generate("wenxi-2024", 1500, 11, settings.inbox)
    _messy_drops(settings.inbox)
    pipeline.run(settings, as_of=dt.date(2023, 12, 25))
    record_bills(settings.warehouse_url, [NEW_PERSON], "late-roster")
    money_path.prepare_batch(settings, run_id="late-roster")
    return settings


@pytest.fixture
def page_server(demo_county, serve, tmp_path):
    """The plugin's app in a child Python with a throw-away AIRFLOW_HOME (Airflow reads its config on import)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "YIBAO_"))}
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow_home"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               YIBAO_HOME=str(demo_county.home), YIBAO_COUNTIES="wenxi-2024,juye-2024",
               YIBAO_WAREHOUSE_URL=demo_county.warehouse_url, YIBAO_TAX_EXCHANGE_URL=demo_county.tax_exchange_url)
    command = [sys.executable, "-c", SERVER, str(PROJECT / "plugins" / "yibao_campaign.py"), str(port)]
    return serve(command, env, f"http://127.0.0.1:{port}/yibao")


def test_the_campaign_page_shows_the_demo_countys_figures(page_server, demo_county, chromium, tmp_path):
    with storage.engine(demo_county.warehouse_url).connect() as conn:
        towns = conn.execute(sa.select(storage.coverage_by_town.c.town, storage.coverage_by_town.c.paid,
                                       storage.coverage_by_town.c.should_insure)).all()
        pushed = conn.execute(sa.select(sa.func.count()).where(storage.bill_versions.c.pushed_at.is_not(None))).scalar()
        pending = conn.execute(sa.select(storage.push_batches.c.bills)
                               .where(storage.push_batches.c.status == "pending")).scalar_one()
        rejected = conn.execute(sa.select(storage.rejections.c.feed, storage.rejections.c.stage, sa.func.count())
                                .group_by(storage.rejections.c.feed, storage.rejections.c.stage)).all()
    paid, should = sum(t.paid for t in towns), sum(t.should_insure for t in towns)

    screenshot = tmp_path / "campaign_page.png"  # bench/screens/campaign_page.png is one of these
    dom = chromium(f"{page_server}/wenxi-2024", screenshot=screenshot, size="1280,3100")
    text = re.sub(r"<[^>]+>", " ", dom)

    assert "闻喜县 2024年度城乡居民基本医疗保险集中征缴看板" in text
    assert re.search(rf'id="kpi-paid">{paid:,}<', dom) and re.search(rf'id="kpi-should">{should:,}<', dom)
    assert f"{paid / should:.1%}" in dom
    assert all(town in text for town, _, _ in towns) and "任务完成率" in text
    assert re.search(rf'id="kpi-pending">{pending:,}<', dom) and re.search(rf'id="kpi-pushed">{pushed:,}<', dom)
    assert "有 1 个批次待审批" in text and len(re.findall(r"\d{6}\*{8}\d{3}[\dX]", text)) == 5  # its largest changes
    assert NEW_PERSON[0] not in dom and NEW_PERSON[1] not in dom
    assert not re.search(r"\d{17}[\dXx]", dom), "no full ID number anywhere on the page"
    sources = load_sources()
    rows = [f'<td>{sources[feed].department}·{sources[feed].title}</td><td class="t">{STAGES[stage]}</td><td>{n:,}</td>'
            for feed, stage, n in rejected]
    assert rows and [row for row in rows if row not in dom] == []  # rejections per department and check
    assert "公安局·户籍人口信息" in text and "按时" in text
    feeds = {feed: _row_of(dom, f"{s.department}·{s.title}") for feed, s in sources.items()}
    rows = sum(1 for _ in next((demo_county.inbox / "残联").glob("*1225.csv")).open(encoding="gb18030")) - 1
    assert "旧版未读取 1 个：残联/闻喜县残联残疾人名单_20231125.csv" in feeds["canlian"]
    assert "拒收文件 1 个：残联/.~lock.残疾人名单.csv#（" in feeds["canlian"]
    assert (f"非人员行 2 行（标题、表头、合计或表尾）：残联/闻喜县残联残疾人名单_20231225.csv 第{rows - 1}行（合计）、"
            f"第{rows}行（表尾）") in feeds["canlian"]
    assert '<td class="t warn">失败</td>' in feeds["tuiyi"] and "缺少必填列" in feeds["tuiyi"]
    assert "无可用数据" in feeds["tuiyi"]  # its drop came, but nothing of it could be used
    assert [feed for feed, row in feeds.items() if "<li" in row] == ["canlian", "tuiyi"]  # the others: nothing to say
    assert 'href="/yibao/juye-2024"' in dom  # the other county served is one click away
    assert screenshot.stat().st_size > 100_000, "a blank or failed render is a small PNG"


def _row_of(dom: str, feed_label: str) -> str:
    """The feed table's row of a department's list."""
    table = dom[dom.index('<section id="feeds">'):]
    return re.search(rf"<tr><td>{re.escape(feed_label)}</td>.*?</tr>", table, re.DOTALL).group(0)


def test_a_county_not_served_is_not_found(page_server):
    assert httpx.get(f"{page_server}/xiping-2025", timeout=30).status_code == 404
