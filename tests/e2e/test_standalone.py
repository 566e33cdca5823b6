"""The README's first command, proven: standalone Airflow comes up, the daily DAG's first run starts
on its own (no manual trigger) only once the UI answers, the asset chain carries it through to coverage
without a single retry, the campaign page shows the day's figures to a logged-in user only, and the log
servers listen on 127.0.0.1 alone."""

from __future__ import annotations

import re
import time
from datetime import datetime

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

PIPELINE = tuple(f"yibao_{stage}__wenxi-2024" for stage in ("ingest", "decide", "tax_push", "coverage"))
TIMEOUT_S = 480


def latest_run(api, dag_id: str) -> dict | None:
    runs = api.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 1})
    runs.raise_for_status()
    return next(iter(runs.json()["dag_runs"]), None)


def failed_tasks(api, run: dict) -> list[str]:
    tis = api.get(f"/api/v2/dags/{run['dag_id']}/dagRuns/{run['dag_run_id']}/taskInstances")
    return [
        ti["task_id"] for ti in tis.raise_for_status().json()["task_instances"] if ti["state"] == "failed"
    ]


def test_the_first_daily_run_goes_through_to_coverage(standalone):
    api = standalone.api
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        runs = {dag_id: latest_run(api, dag_id) for dag_id in PIPELINE}
        failed = {
            dag_id: failed_tasks(api, run) for dag_id, run in runs.items() if run and run["state"] == "failed"
        }
        assert failed == {}, f"failed tasks: {failed}\n{standalone.log_tail()}"
        ingest = runs[PIPELINE[0]]
        # tax_push and coverage both follow the bills asset: wait for each, whichever finishes first
        if ingest and ingest["state"] == "success" and all(
            run and run["state"] == "success"
            and datetime.fromisoformat(run["run_after"]) > datetime.fromisoformat(ingest["start_date"])
            for run in (runs[dag_id] for dag_id in PIPELINE[1:])
        ):
            break
        states = {dag_id: run and run["state"] for dag_id, run in runs.items()}
        assert time.monotonic() < deadline, f"pipeline not done after {TIMEOUT_S} s: {states}"
        time.sleep(5)

    assert ingest["run_type"] == "scheduled", "the daily run must start by itself once the DAG is unpaused"
    assert {dag_id: run["state"] for dag_id, run in runs.items()} == dict.fromkeys(PIPELINE, "success")
    assert {dag_id: runs[dag_id]["run_type"] for dag_id in PIPELINE[1:]} == dict.fromkeys(
        PIPELINE[1:], "asset_triggered"
    )

    tries = {
        (dag_id, ti["task_id"], ti["map_index"]): ti["try_number"]
        for dag_id, run in runs.items()
        for ti in api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances",
                          params={"limit": 100}).raise_for_status().json()["task_instances"]
    }
    assert len(tries) > 20 and {key: n for key, n in tries.items() if n != 1} == {}, "no task needed a retry"

    page = api.get("/yibao/wenxi-2024")
    assert page.status_code == 200 and "闻喜县 2024年度城乡居民基本医疗保险集中征缴看板" in page.text
    headline = api.get("/api/v2/assets/events", params={"source_dag_id": PIPELINE[-1], "source_task_id": "compute_coverage",
                                                       "limit": 1}).raise_for_status().json()["asset_events"][0]["extra"]
    assert re.search(rf'id="kpi-paid">{headline["paid"]:,}<', page.text)
    assert httpx.get(f"{str(api.base_url).rstrip('/')}/yibao/wenxi-2024", timeout=30).status_code == 401, "the page needs a login"

    plugins = api.get("/api/v2/plugins").raise_for_status().json()["plugins"]
    views = {view["name"]: view["href"] for plugin in plugins for view in plugin["external_views"]}
    assert views.get("参保征缴看板") == "/yibao/", "the page is in the UI's navigation"
    pool = api.get("/api/v2/pools/yibao-wenxi-2024").raise_for_status().json()
    assert pool["slots"] == 4 and pool["occupied_slots"] == 0, "the county's own pool, created before the first run"

    ports = {int(standalone.env[key]) for key in ("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
                                                  "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT")}
    listening = {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections(kind="tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port in ports}
    assert listening == {("127.0.0.1", port) for port in ports}, "log servers on loopback only"
