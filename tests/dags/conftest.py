"""Airflow is loaded in child processes with a throw-away AIRFLOW_HOME, so the DAG checks never
depend on (or write to) the developer's Airflow home, and never on which test imported Airflow first."""

from __future__ import annotations

import os
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
