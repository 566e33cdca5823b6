"""How Airflow itself runs this project's tasks: an executor that starts tasks with the data stack already
imported, and one pool per county.

Why the executor: every Airflow 3 task runs in a process forked by a supervisor inside a LocalExecutor
worker, and the workers are forked from the scheduler when the executor starts
(``multiprocessing`` start method ``fork`` on Linux). Importing pandas, pyarrow and Great Expectations once
in the scheduler before the workers are forked makes every task process inherit them: a task's start-up
drops from ~20 s of imports on these shared cores to the cost of a fork. Only third-party libraries are
preloaded; the project's own modules are imported fresh by each task, so edited code is what runs.
Light at import: Airflow loads this module in every component that reads the executor setting.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time

from airflow.executors.local_executor import LocalExecutor

from yibao import dag_support
from yibao.settings import served_counties

log = logging.getLogger(__name__)
# What task bodies import that costs seconds per process (pandas, pyarrow, GX, the XLSX engines).
PRELOAD = ("pandas", "pyarrow.feather", "sqlalchemy", "great_expectations", "openpyxl", "xlsxwriter",
           "python_calamine", "jinja2")


def preload(modules: tuple[str, ...] = PRELOAD) -> float:
    """Import ``modules`` into this process; returns the seconds it took."""
    start = time.perf_counter()
    for name in modules:
        importlib.import_module(name)
    return time.perf_counter() - start


class PreloadingLocalExecutor(LocalExecutor):
    """``LocalExecutor`` whose workers (and so every task process they fork) start with :data:`PRELOAD`
    imported. ``AIRFLOW__CORE__EXECUTOR=yibao.airflow_runtime.PreloadingLocalExecutor``."""

    def start(self) -> None:
        if self.is_mp_using_fork:
            log.info("Preloaded the data stack for task processes in %.1f s", preload())
        super().start()


def worker_queues(env: dict[str, str] | None = None) -> str:
    """The Celery queues a worker listens on: its counties' (``YIBAO_WORKER_COUNTIES``, default every county
    served), comma-separated for ``airflow celery worker --queues``.

    >>> worker_queues({"YIBAO_COUNTIES": "wenxi-2024,juye-2024"})
    'yibao-wenxi-2024,yibao-juye-2024'
    >>> worker_queues({"YIBAO_COUNTIES": "wenxi-2024,juye-2024", "YIBAO_WORKER_COUNTIES": "juye-2024"})
    'yibao-juye-2024'
    """
    env = os.environ if env is None else env
    counties = served_counties({"YIBAO_COUNTIES": env.get("YIBAO_WORKER_COUNTIES", "")} if env.get("YIBAO_WORKER_COUNTIES")
                               else env)
    return ",".join(dag_support.pool(county) for county in counties)


def __getattr__(name: str):
    """``CELERY_CONFIG``: Airflow's default Celery config, with :data:`PRELOAD` imported first. Set
    ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=yibao.airflow_runtime.CELERY_CONFIG`` and a Celery worker loads
    it before forking its pool, so its task processes inherit the data stack as LocalExecutor's do."""
    if name != "CELERY_CONFIG":
        raise AttributeError(name)
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

    log.info("Preloaded the data stack for Celery task processes in %.1f s", preload())
    return DEFAULT_CELERY_CONFIG


def pools(counties: list[str] | None = None, slots: int | None = None) -> dict[str, dict]:
    """One pool per county served (``airflow pools import`` format); ``YIBAO_POOL_SLOTS`` slots each (4).

    >>> pools(["wenxi-2024"], 3)
    {'yibao-wenxi-2024': {'slots': 3, 'description': 'wenxi-2024 的任务槽位（一县一池，互不占用）', 'include_deferred': False}}
    """
    slots = slots or int(os.environ.get("YIBAO_POOL_SLOTS") or 4)
    return {dag_support.pool(county): {"slots": slots, "description": f"{county} 的任务槽位（一县一池，互不占用）",
                                       "include_deferred": False}
            for county in counties or served_counties()}


if __name__ == "__main__":  # for docker-compose.yml: the pools file (`airflow pools import`), a worker's queues
    if sys.argv[1:] == ["pools"]:
        print(json.dumps(pools(), ensure_ascii=False, indent=2))
    elif sys.argv[1:] == ["queues"]:
        print(worker_queues())
    else:
        sys.exit("usage: python -m yibao.airflow_runtime pools|queues")
