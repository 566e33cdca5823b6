"""Airflow local settings of `make run` (one machine; on PYTHONPATH through scripts/airflow_env.sh).

Airflow's task-log servers (the scheduler's and the triggerer's) listen on every interface, with no setting
to change it; here they listen on 127.0.0.1 only, like the UI, and tasks record 127.0.0.1 as their host so
the api-server fetches running tasks' logs from there. Not used by docker-compose.yml, where the api-server
reads the logs of workers on other hosts.
"""

from __future__ import annotations

import sys


def loopback_hostname() -> str:
    """``[core] hostname_callable`` for one machine."""
    return "127.0.0.1"


def serve_logs_on_loopback(port: int | None = None) -> None:
    """``airflow.utils.serve_logs.serve_logs`` bound to 127.0.0.1 instead of every interface."""
    import uvicorn
    from airflow.configuration import conf

    uvicorn.run("airflow.utils.serve_logs.log_server:get_app", host="127.0.0.1",
                port=port or conf.getint("logging", "WORKER_LOG_SERVER_PORT"), log_config=None, access_log=False)


if sys.argv[1:2] in (["scheduler"], ["triggerer"]):  # the components that start a log server
    import airflow.utils.serve_logs

    airflow.utils.serve_logs.serve_logs = serve_logs_on_loopback
