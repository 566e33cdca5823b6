"""The README's first command, proven: standalone Airflow comes up, the daily DAG's first run starts
on its own (no manual trigger), and the asset chain carries it through to coverage."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

pytestmark = pytest.mark.slow

PIPELINE = ("yibao_ingest", "yibao_decide", "yibao_tax_push", "yibao_coverage")
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
        ingest, coverage = runs["yibao_ingest"], runs["yibao_coverage"]
        if (
            ingest
            and ingest["state"] == "success"
            and coverage
            and coverage["state"] == "success"
            and datetime.fromisoformat(coverage["run_after"]) > datetime.fromisoformat(ingest["start_date"])
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
