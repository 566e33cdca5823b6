"""Airflow task logs are masked: a DAG task that logs an ID and fails inside a stage with an exception
quoting an ID and a name (run with ``dag.test()`` in a child process, Airflow's own logging set up) leaves
neither in any output or task log file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real dag.test() in a child process

ID, NAME = "140823198001011234", "欧阳娜娜"
DAG = f'''
import datetime as dt
import logging

from airflow.sdk import dag, task


@dag(dag_id="masking_probe", schedule=None, start_date=dt.datetime(2023, 8, 1))
def probe():
    @task(retries=0)
    def fail():
        from yibao.run_lock import locked_stage
        from yibao.settings import Settings

        @locked_stage
        def stage(settings, *, run_id):  # personal data comes from data, never from source lines
            person = {{"id": "{ID[:9]}" + "{ID[9:]}", "name": "{NAME[:2]}" + "{NAME[2:]}"}}
            logging.getLogger("yibao.probe").warning("正在处理 %s", person["id"])
            int(person["name"] + " " + person["id"])

        stage(Settings.from_env("wenxi-2024"), run_id="probe")

    fail()


probe()
'''
RUNNER = """
import sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
run = bag.get_dag("masking_probe").test()
print("RUN_STATE=" + str(run.state))
"""


def test_a_failing_task_logs_no_id_and_no_name(airflow_env, airflow_home, tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "probe.py").write_text(DAG, encoding="utf-8")
    env = {**airflow_env(YIBAO_HOME=str(tmp_path / "home")), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    done = subprocess.run([sys.executable, "-c", RUNNER, str(dags)], env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    logs = "".join(p.read_text(errors="replace") for p in Path(airflow_home, "logs").rglob("*")
                   if p.is_file() and "masking_probe" in str(p))
    output = done.stdout + done.stderr + logs
    assert "RUN_STATE=failed" in done.stdout, output[-3000:]
    assert "140823********1234" in output and "MaskedError" in output  # the failure is there, masked
    assert ID not in output and NAME not in output, output[-3000:]
