"""The part of `make run` that waits for Airflow (started by scripts/run_standalone.sh next to this):

1. once the api-server answers /api/v2/monitor/health, print the UI and the login;
2. create each county's pool, wait until every county's DAGs are parsed, then unpause them (downstream
   first), so nothing is scheduled before the api-server can serve the tasks (the DAGs are created paused);
3. print where the demo's outputs will be and what to open, then, once each county's first chain is done,
   the day's report. Bounded waits; it never stops Airflow.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx

from yibao import dag_support
from yibao.airflow_runtime import pools
from yibao.settings import Settings, served_counties

UI = os.environ["AIRFLOW__API__BASE_URL"]
PASSWORDS = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]


def say(line: str) -> None:
    print(f"==> {line}", flush=True)


def wait(what: str, check, seconds: float, step: float = 1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(step)
    say(f"等待超时 (timed out waiting for {what})")
    sys.exit(1)


def main() -> None:
    wait("the api-server", lambda: httpx.get(f"{UI}/api/v2/monitor/health", timeout=2).status_code == 200, 600)
    password = json.loads(Path(PASSWORDS).read_text(encoding="utf-8"))["admin"]
    print(flush=True)
    say(f"Airflow 界面 (UI): {UI}  用户 (user): admin  密码 (password): {password}")
    token = httpx.post(f"{UI}/auth/token", json={"username": "admin", "password": password}, timeout=30)
    api = httpx.Client(base_url=f"{UI}/api/v2", headers={"Authorization": f"Bearer {token.raise_for_status().json()['access_token']}"},
                       timeout=30)
    for name, pool in pools().items():
        answer = api.post("/pools", json={"name": name, **pool})
        if answer.status_code != 409:  # an existing pool keeps the slots an operator gave it
            answer.raise_for_status()

    counties = served_counties()
    wanted = [dag_support.dag_id(stage, county) for stage in reversed(dag_support.STAGES) for county in counties]

    def parsed() -> bool:
        dags = api.get("/dags", params={"dag_id_pattern": "yibao_", "limit": 1000}).raise_for_status().json()["dags"]
        return set(wanted) <= {dag["dag_id"] for dag in dags}

    wait("the DAGs to be parsed", parsed, 600, step=2)
    for dag_id in wanted:  # downstream first: nothing an ingest run announces is missed
        api.patch(f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
    say(f"已启用 {len(wanted)} 个流水线 DAG，首次每日运行即刻开始 (DAGs unpaused; the first daily runs start now)")
    for county in counties:
        say(f"{county}：部门数据 {Settings.from_env(county).inbox}；每日输出 {Settings.from_env(county).outbox}/<日期>/")
    say(f"参保征缴看板 (campaign view): {UI}/plugin/yibao  ｜ 审批：界面的 Required Actions")
    print(flush=True)

    for county in counties:
        dag_id = dag_support.dag_id("coverage", county)

        def coverage_done(dag_id: str = dag_id) -> dict | None:
            runs = api.get(f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 1}).json()["dag_runs"]
            return runs[0] if runs and runs[0]["state"] in ("success", "failed") else None

        run = wait(f"{dag_id}", coverage_done, 1800, step=5)
        events = api.get("/assets/events", params={"source_dag_id": dag_id, "source_task_id": "write_outputs",
                                                   "order_by": "-timestamp", "limit": 1}).json()["asset_events"]
        if run["state"] == "success" and events:
            outbox = events[0]["extra"]["outbox"]
            say(f"{county} 今日输出已生成 (today's outputs): {outbox}")
            say(f"  打开 (open): {outbox}/参保缴费日报.html ｜ 催缴名单/ ｜ 公示名单/ ｜ 部门反馈/")
        else:
            say(f"{county} 的 {dag_id} 运行失败，请在界面查看 (failed: see the UI)")


if __name__ == "__main__":
    main()
