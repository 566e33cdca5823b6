"""A late drop is flagged in Airflow: ``yibao_ingest`` run with ``dag.test()`` on a county whose 卫健 drop
predates its last two monthly deadlines shows a failed ``check_due`` for that feed only, with a clear
message, while every feed is ingested; the pipeline summary marks the snapshot in use as stale, with its age."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from yibao import pipeline, synth

SEVENTY_DAYS = 70 * 86400
RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
run = bag.get_dag("yibao_ingest__wenxi-2024").test(run_conf={"as_of": "2023-12-25"})
tasks = {f"{ti.task_id}[{ti.rendered_map_index or ti.map_index}]": str(ti.state) for ti in run.get_task_instances()}
print("STATES=" + json.dumps({"run": str(run.state), "tasks": tasks}, ensure_ascii=False))
"""


def _age_drop(inbox: Path, folder: str) -> None:
    (path,) = (inbox / folder).glob("*.csv")
    old = time.time() - SEVENTY_DAYS
    os.utime(path, (old, old))


@pytest.mark.slow
def test_a_late_feed_is_a_red_check_due_task_and_the_others_pass(airflow_env, run_dags, db_urls, tmp_path):
    home = tmp_path / "data"
    inbox = home / "inbox" / "wenxi-2024"
    synth.generate("wenxi-2024", 2000, 3, inbox)
    _age_drop(inbox, "卫健")
    env = airflow_env(YIBAO_HOME=str(home), YIBAO_COUNTY="wenxi-2024", YIBAO_WAREHOUSE_URL=db_urls[0],
                      YIBAO_TAX_EXCHANGE_URL=db_urls[1])
    states, output = run_dags(RUNNER, [], env, "STATES=")
    checks = {k: v for k, v in states["tasks"].items() if k.startswith("check_due[")}
    assert checks.pop("check_due[卫健局·计生优待家庭人员名单]") == "failed", states
    assert len(checks) == 10 and set(checks.values()) == {"success"}, states
    ingests = {k: v for k, v in states["tasks"].items() if k.startswith("ingest[")}
    assert len(ingests) == 11 and set(ingests.values()) == {"success"}, states
    assert states["tasks"]["publish[-1]"] == "success"
    assert states["run"] == "failed"  # the run is red in the grid, pointing at the overdue feed
    log = "\n".join(p.read_text(errors="replace") for p in (home.parent).rglob("*.log")) + output
    assert "卫健局计生优待家庭人员名单 应于每月 5 日 17:00 前报送" in log


def test_the_summary_marks_the_snapshot_in_use_as_stale_with_its_age(settings, tmp_path):
    inbox = tmp_path / "inbox"
    synth.generate("wenxi-2024", 2000, 3, inbox)
    _age_drop(inbox, "卫健")
    result = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=dt.date(2023, 12, 25))
    weijian = result["feeds"]["weijian"]
    assert weijian["status"] == "ok"  # the old drop is still read: it is the last good one
    assert weijian["freshness"]["state"] == "late" and 69.9 <= weijian["freshness"]["age_days"] <= 70.1
    assert "下游继续使用" in weijian["freshness"]["message"] and "已 70.0 天" in weijian["freshness"]["message"]
    assert result["stale_feeds"] == ["weijian"]
    assert all(r["freshness"]["state"] == "on_time" for f, r in result["feeds"].items() if f != "weijian")

    # The drop is then taken away: the run keeps the published snapshot and still says how old it is. The
    # new list did arrive, saved from Excel instead of as CSV: the overdue message says so and what to do.
    for path in (inbox / "卫健").glob("*.csv"):
        path.rename(path.with_suffix(".xlsx"))
    again = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=dt.date(2023, 12, 25))
    assert again["feeds"]["weijian"]["status"] == "no_drop"
    assert again["feeds"]["weijian"]["freshness"]["state"] == "late" and again["stale_feeds"] == ["weijian"]
    (sent,) = (p.relative_to(inbox).as_posix() for p in (inbox / "卫健").glob("*.xlsx"))
    hint = f"{sent}（文件格式为 .xlsx，本数据源只读取 .csv、.txt（CSV 或 Excel 的 Unicode 文本），未导入；请另存为 .csv 后重新报送）"
    assert again["feeds"]["weijian"]["refused"] == [{"file": sent, "reason": hint[len(sent) + 1 : -1]}]
    assert again["feeds"]["weijian"]["freshness"]["message"].endswith(f"；收件箱中有未导入的文件：{hint}")
