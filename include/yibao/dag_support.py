"""What the DAG files share, light enough to import at DAG parse time (no pandas, no GX, no I/O).

Task bodies call :func:`run_settings` and :func:`run_as_of` to turn a run's Params into the same
arguments ``yibao pipeline run`` uses.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Mapping
from typing import Any

from yibao.settings import Settings

TIMEZONE = "Asia/Shanghai"
OWNER = "county-data-center"
START_DATE = dt.datetime(2023, 8, 1, tzinfo=zoneinfo.ZoneInfo(TIMEZONE))
DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
}
TAGS = ["yibao", "城乡居民医保"]

# Asset names: producers list them as outlets, consumers are scheduled on them.
STAGING = "yibao_staging"
BILLS = "yibao_bills"
TAX_EXCHANGE = "yibao_tax_exchange"
COVERAGE = "yibao_coverage"
REPORTS = "yibao_reports"
HEADLINE = ("should_insure", "paid", "gap", "rate", "late", "assisted_should", "assisted_paid", "days_left")


def run_settings(params: Mapping[str, Any]) -> Settings:
    """Settings for this run: the ``county`` Param overrides ``YIBAO_COUNTY``."""
    return Settings.from_env(params.get("county") or None)


def run_as_of(params: Mapping[str, Any], run_after: dt.datetime | None) -> dt.date:
    """The ``as_of`` Param when given (reruns for a past day), else ``YIBAO_AS_OF``, else the run's date in
    Beijing time; refused outside the policy year's campaign, a warning outside its collection window
    (:mod:`yibao.run_date`). Call inside a task only."""
    import logging

    from yibao import policy, run_date

    settings = run_settings(params)
    if params.get("as_of"):
        as_of = dt.date.fromisoformat(str(params["as_of"]))
    else:
        moment = run_after or dt.datetime.now(dt.UTC)
        as_of = settings.as_of or moment.astimezone(zoneinfo.ZoneInfo(TIMEZONE)).date()
    warning = run_date.check(policy.load(settings.county), as_of)
    if warning:
        logging.getLogger(__name__).warning(warning)
    return as_of


def headline(county: str, as_of: dt.date, coverage: Mapping[str, Any]) -> dict[str, Any]:
    """The coverage figures an asset event shows in the UI: counts and rates only, no personal data.

    >>> headline("wenxi-2024", dt.date(2023, 12, 20), {"should_insure": 10, "paid": 9, "gap": 1, "rate": 0.9,
    ...                                                  "by_status": {"paid": 9}})["rate"]
    0.9
    """
    return {"county": county, "as_of": as_of.isoformat(), **{k: coverage[k] for k in HEADLINE if k in coverage}}


def connection_uri(feed: str) -> str | None:
    """For a feed pulled from a department's 前置库: the URI of its Airflow connection (None for files,
    or when ``YIBAO_CONN_<ID>`` already names it). Call inside a task only."""
    from yibao import db_pull
    from yibao.sources import load_sources

    source = load_sources()[feed]
    if source.format != "sql" or os.environ.get(db_pull.env_name(source.connection)):
        return None
    from airflow.sdk import Connection

    return Connection.get(source.connection).get_uri()


def task_args() -> tuple[Settings, dt.date, str]:
    """Inside a running task: its settings, as-of date and run id, from the run's Params."""
    from airflow.sdk import get_current_context

    context = get_current_context()
    params = context["params"]
    return run_settings(params), run_as_of(params, context["dag_run"].run_after), context["run_id"]
