"""Airflow is loaded in child processes with a throw-away AIRFLOW_HOME, so the DAG checks never
depend on (or write to) the developer's Airflow home, and never on which test imported Airflow first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = PROJECT / "dags"


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """Environment for a child Python that imports Airflow: no examples, the project's dags folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(tmp_path_factory.mktemp("airflow_home")),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(PROJECT / "plugins"),
    )
    return env


@pytest.fixture(scope="session")
def run_python():
    """``run_python(code, env, *args)``: run ``code`` in a fresh interpreter of this venv and decode the
    JSON it prints last."""
    def run(code: str, env: dict[str, str], *args: str):
        done = subprocess.run([sys.executable, "-c", code, *args], check=False, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run
