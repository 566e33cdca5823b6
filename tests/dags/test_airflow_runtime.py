"""yibao.airflow_runtime is light when Airflow loads it (every component reads the executor setting) and
preloads the data stack exactly where task processes are forked from: the LocalExecutor before it forks
its workers, the Celery config before a worker forks its pool."""

from __future__ import annotations

EXECUTOR = """
import json, sys
from yibao.airflow_runtime import PreloadingLocalExecutor, PRELOAD
light = [m for m in ("pandas", "pyarrow.feather", "great_expectations") if m in sys.modules]
executor = PreloadingLocalExecutor(parallelism=1)
executor.start()
workers = len(executor.workers)
preloaded = [m for m in PRELOAD if m in sys.modules]
executor.end()
print(json.dumps({"light": light, "preloaded": preloaded, "workers": workers}))
"""

CELERY = """
import json, sys
import yibao.airflow_runtime as runtime
light = [m for m in sys.argv[1:] if m in sys.modules]
from airflow.configuration import conf
config = conf.getimport("celery", "celery_config_options")
print(json.dumps({"light": light, "preloaded": sorted(m for m in sys.argv[1:] if m in sys.modules),
                  "is_default": config is __import__("airflow.providers.celery.executors.default_celery",
                                                     fromlist=["x"]).DEFAULT_CELERY_CONFIG}))
"""


def test_the_executor_imports_the_data_stack_before_forking_its_workers(airflow_env, run_python):
    result = run_python(EXECUTOR, airflow_env)
    assert result["light"] == []
    assert result["workers"] == 1 and "pandas" in result["preloaded"] and "great_expectations" in result["preloaded"]


def test_celery_workers_get_the_default_config_with_the_data_stack_preloaded(airflow_env, run_python):
    env = {**airflow_env, "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "yibao.airflow_runtime.CELERY_CONFIG"}
    result = run_python(CELERY, env, "pandas", "great_expectations")
    assert result == {"light": [], "preloaded": ["great_expectations", "pandas"], "is_default": True}
