"""The 参保征缴看板 plugin page in headless Chromium: the plugin's FastAPI app is served (in a child process,
login replaced by a fixed user) over a warehouse the pipeline filled for a generated 闻喜 county, and the
page must show that county's figures — coverage by town, the pending batch with masked IDs, rejections per
department, feed freshness — with no full ID number."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from yibao import money_path, pipeline, storage, synth

from .conftest import free_port, stop, tail

PROJECT = Path(__file__).resolve().parents[2]
SCREENS = PROJECT / "bench" / "screens"
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


@pytest.fixture
def demo_county(settings, tmp_path, record_bills):
    """A generated county through the whole pipeline, then one more bill waiting for approval."""
    synth.generate("wenxi-2024", 1500, 11, settings.inbox)
    pipeline.run(settings, as_of=dt.date(2023, 12, 25))
    record_bills(settings.warehouse_url, [NEW_PERSON], "late-roster")
    money_path.prepare_batch(settings, run_id="late-roster")
    return settings


@pytest.fixture
def page_server(demo_county, airflow_env, tmp_path):
    port = free_port()
    env = airflow_env(YIBAO_HOME=str(demo_county.home), YIBAO_COUNTIES="wenxi-2024,juye-2024",
                      YIBAO_WAREHOUSE_URL=demo_county.warehouse_url,
                      YIBAO_TAX_EXCHANGE_URL=demo_county.tax_exchange_url)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(PROJECT / "plugins" / "yibao_campaign.py"),
                                    str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/yibao"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, tail(log)
            assert time.monotonic() < deadline, tail(log)
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        yield base
    finally:
        stop(process)


def test_the_campaign_page_shows_the_demo_countys_figures(page_server, demo_county, chromium):
    with storage.engine(demo_county.warehouse_url).connect() as conn:
        towns = conn.execute(sa.select(storage.coverage_by_town.c.town, storage.coverage_by_town.c.paid,
                                       storage.coverage_by_town.c.should_insure)).all()
        pushed = conn.execute(sa.select(sa.func.count()).where(storage.bill_versions.c.pushed_at.is_not(None))).scalar()
    paid, should = sum(t.paid for t in towns), sum(t.should_insure for t in towns)

    screenshot = None
    if demo_county.warehouse_url.startswith("sqlite"):
        SCREENS.mkdir(parents=True, exist_ok=True)
        screenshot = SCREENS / "campaign_page.png"
    dom = chromium(f"{page_server}/wenxi-2024", screenshot=screenshot, size="1280,2600")
    text = re.sub(r"<[^>]+>", " ", dom)

    assert "闻喜县 2024年度城乡居民基本医疗保险集中征缴看板" in text
    assert re.search(rf'id="kpi-paid">{paid:,}<', dom) and re.search(rf'id="kpi-should">{should:,}<', dom)
    assert f"{paid / should:.1%}" in dom
    assert all(town in text for town, _, _ in towns) and "任务完成率" in text
    assert re.search(r'id="kpi-pending">1<', dom) and "待审批" in text and re.search(rf'id="kpi-pushed">{pushed:,}<', dom)
    assert "140823********1239" in text and "张*丰" in text  # the pending bill, masked
    assert NEW_PERSON[0] not in dom and NEW_PERSON[1] not in dom
    assert not re.search(r"\d{17}[\dXx]", dom), "no full ID number anywhere on the page"
    assert "公安局·户籍人口信息" in text and "按时" in text
    assert "入库校验" in text  # the generator's defects come back as rejections per department
    assert 'href="/yibao/juye-2024"' in dom  # the other county served is one click away
    if screenshot is not None:
        assert screenshot.stat().st_size > 20_000


def test_a_county_not_served_is_not_found(page_server):
    assert httpx.get(f"{page_server}/xiping-2025", timeout=30).status_code == 404
