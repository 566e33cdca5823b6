"""What the DAG files share, light enough to import at DAG parse time (no pandas, no GX, no I/O).

One deployment serves several counties (:func:`yibao.settings.served_counties`, ``YIBAO_COUNTIES``). Each
DAG file describes one stage of the day once, as ``build(county)``, and :func:`per_county` generates that
stage's DAG for every county served (the manifest style: configuration in, one DAG per entry out). A county's
DAGs have their own ids (``yibao_ingest__wenxi-2024``), runs, assets (``yibao://wenxi-2024/staging``), pool
and Celery queue (both ``yibao-wenxi-2024``), so one county's broken drop or rerun never touches another's.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from yibao.settings import Settings, served_counties

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
# The day's stages, one DAG each per county, in the order the assets chain them.
STAGES = ("ingest", "decide", "tax_push", "coverage")

# Asset names within a county: producers list them as outlets, consumers are scheduled on them.
STAGING = "staging"
BILLS = "bills"
TAX_EXCHANGE = "tax_exchange"
COVERAGE = "coverage"
REPORTS = "reports"
HEADLINE = ("should_insure", "paid", "gap", "rate", "late", "assisted_should", "assisted_paid", "days_left")


def dag_id(stage: str, county: str) -> str:
    """``yibao_<stage>__<rules id>``: every generated DAG id names its county.

    >>> dag_id("ingest", "wenxi-2024")
    'yibao_ingest__wenxi-2024'
    """
    return f"yibao_{stage}__{county}"


def pool(county: str) -> str:
    """The county's pool (and Celery queue): its tasks never take another county's slots."""
    return f"yibao-{county}"


def asset_uri(county: str, name: str) -> str:
    """
    >>> asset_uri("wenxi-2024", STAGING)
    'yibao://wenxi-2024/staging'
    """
    return f"yibao://{county}/{name}"


def asset(county: str, name: str):
    """The county's asset ``name`` (Airflow keeps URIs of unregistered schemes as they are)."""
    from airflow.sdk import Asset

    return Asset(asset_uri(county, name))


def per_county(stage: str, *, schedule: Callable[[str], Any], tags: list[str], doc_md: str | None,
               params: Mapping[str, Any] | None = None) -> Callable[[Callable[[str], None]], Callable[[str], None]]:
    """Decorate ``build(county)`` (which declares the stage's tasks) to generate the stage's DAG for every
    county served; ``schedule(county)`` gives each county's schedule (its own cron or its own assets)."""
    from airflow.sdk import dag

    def generate(build: Callable[[str], None]) -> Callable[[str], None]:
        for county in served_counties():
            dag(
                dag_id=dag_id(stage, county),
                schedule=schedule(county),
                start_date=START_DATE,
                catchup=False,
                max_active_runs=1,
                default_args={**DEFAULT_ARGS, "pool": pool(county), "queue": pool(county)},
                tags=[*TAGS, county, *tags],
                doc_md=doc_md,
                params=copy.deepcopy(dict(params or {})),  # Param objects are per DAG
            )(_bound(build, county))()
        return build

    return generate


def _bound(build: Callable[[str], None], county: str) -> Callable[[], None]:
    """``build`` for one county, as a function without arguments (``@dag`` turns arguments into Params)."""
    def tasks() -> None:
        build(county)

    tasks.__name__ = build.__name__
    return tasks


def run_settings(county: str) -> Settings:
    """Settings of the county a DAG was generated for."""
    return Settings.from_env(county)


def run_as_of(county: str, params: Mapping[str, Any], run_after: dt.datetime | None) -> dt.date:
    """The ``as_of`` Param when given (reruns for a past day), else ``YIBAO_AS_OF``, else the run's date in
    Beijing time; refused outside the policy year's campaign, a warning outside its collection window
    (:mod:`yibao.run_date`). Call inside a task only."""
    import logging

    from yibao import policy, run_date

    settings = run_settings(county)
    if params.get("as_of"):
        as_of = dt.date.fromisoformat(str(params["as_of"]))
    else:
        moment = run_after or dt.datetime.now(dt.UTC)
        as_of = settings.as_of or moment.astimezone(zoneinfo.ZoneInfo(TIMEZONE)).date()
    warning = run_date.check(policy.load(settings.county), as_of)
    if warning:
        logging.getLogger(__name__).warning(warning)
    return as_of


def headline(as_of: dt.date, coverage: Mapping[str, Any]) -> dict[str, Any]:
    """The coverage figures an asset event shows in the UI: counts and rates only, no personal data.

    >>> headline(dt.date(2023, 12, 20), {"should_insure": 10, "paid": 9, "gap": 1, "rate": 0.9, "by_status": {}})
    {'as_of': '2023-12-20', 'should_insure': 10, 'paid': 9, 'gap': 1, 'rate': 0.9}
    """
    return {"as_of": as_of.isoformat(), **{k: coverage[k] for k in HEADLINE if k in coverage}}


def announce(county: str, name: str, figures: Mapping[str, Any]) -> None:
    """Inside a producing task: put ``figures`` (counts, rates, paths; never personal data) on the extra of
    the county's asset event, where the Airflow UI shows them."""
    from airflow.sdk import get_current_context

    get_current_context()["outlet_events"][asset(county, name)].extra = {"county": county, **figures}


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


def task_args(county: str) -> tuple[Settings, dt.date, str]:
    """Inside a running task: the county's settings, the run's as-of date and its run id."""
    from airflow.sdk import get_current_context

    context = get_current_context()
    return run_settings(county), run_as_of(county, context["params"], context["dag_run"].run_after), context["run_id"]
