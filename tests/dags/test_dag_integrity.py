"""The real dags/ folder loads cleanly, every DAG is documented and retried, and parsing a DAG file
stays cheap: the scheduler's dag-processor re-parses every file every few minutes, so a DAG file that
pulls in pandas or Great Expectations at import time slows down and bloats every parse."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
COUNTIES = ("wenxi-2024", "juye-2024")  # the DAG folder is loaded serving two counties
STAGES = ("ingest", "decide", "tax_push", "coverage")
PIPELINE = {f"yibao_{stage}__{county}" for stage in STAGES for county in COUNTIES}
# Libraries only task bodies may import; any pipeline stage of the package pulls in at least one.
HEAVY_MODULES = (
    "pandas",
    "numpy",
    "pyarrow",
    "great_expectations",
    "openpyxl",
    "python_calamine",
    "xlsxwriter",
)

LOAD_DAGBAG = """
import json
from airflow.dag_processing.dagbag import DagBag

bag = DagBag()  # [core] dags_folder; examples are off through AIRFLOW__CORE__LOAD_EXAMPLES
dags = {}
for dag_id, dag in bag.dags.items():
    timezone = getattr(dag.timetable, "timezone", None)  # cron timetables only
    dags[dag_id] = {
        "owner": dag.owner,
        "tags": sorted(dag.tags),
        "doc_md": dag.doc_md or "",
        "retries": sorted({task.retries for task in dag.tasks}),
        "timetable": type(dag.timetable).__name__,
        "timezone": None if timezone is None else getattr(timezone, "name", str(timezone)),
        "catchup": dag.catchup,
        "pools": sorted({task.pool for task in dag.tasks}),
        "queues": sorted({task.queue for task in dag.tasks}),
        "assets": sorted({a.uri for task in dag.tasks for a in task.outlets}
                         | {a.uri for a in getattr(getattr(dag.timetable, "asset_condition", None), "objects", ())}),
    }
print(json.dumps({"import_errors": bag.import_errors, "dags": dags}))
"""

IMPORT_DAG_FILE = """
import json, runpy, sys
runpy.run_path(sys.argv[1])
print(json.dumps(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""


@pytest.fixture(scope="module")
def dagbag(airflow_env, run_python) -> dict:
    return run_python(LOAD_DAGBAG, {**airflow_env, "YIBAO_COUNTIES": ",".join(COUNTIES)})


def test_no_import_errors(dagbag):
    assert dagbag["import_errors"] == {}


def test_the_pipeline_dags_are_all_there_once_per_county(dagbag):
    assert set(dagbag["dags"]) == PIPELINE


@pytest.mark.parametrize("county", COUNTIES)
def test_a_countys_dags_use_only_its_own_pool_queue_and_assets(dagbag, county):
    """What isolates one county from another: its tasks take only its pool's slots and its workers' queue,
    and its DAGs produce and wait for only its own assets."""
    own = {dag_id: dag for dag_id, dag in dagbag["dags"].items() if dag_id.endswith(f"__{county}")}
    assert len(own) == len(STAGES)
    assert {dag_id: (dag["pools"], dag["queues"]) for dag_id, dag in own.items()} == dict.fromkeys(
        own, ([f"yibao-{county}"], [f"yibao-{county}"]))
    assets = {uri for dag in own.values() for uri in dag["assets"]}
    assert assets == {f"yibao://{county}/{name}" for name in ("staging", "bills", "tax_exchange", "coverage", "reports")}


# What every DAG must carry, as (field, check); the owner 'airflow' is the default, i.e. nobody.
CONVENTIONS = {
    "owner": lambda owner: owner not in ("", "airflow"),
    "tags": bool,
    "doc_md": lambda doc: bool(doc.strip()),
    "retries": lambda retries: min(retries, default=0) >= 2,
}


@pytest.mark.parametrize("field", CONVENTIONS)
def test_every_dag_is_owned_tagged_documented_and_retried(dagbag, field):
    check = CONVENTIONS[field]
    assert {dag_id: dag[field] for dag_id, dag in dagbag["dags"].items() if not check(dag[field])} == {}


def test_the_daily_dag_runs_on_shanghai_time_without_backfill(dagbag):
    """06:00 in the county, not in UTC; catchup off so unpausing starts the latest day at once."""
    cron_dags = {dag_id: dag for dag_id, dag in dagbag["dags"].items() if dag["timetable"].startswith("Cron")}
    assert {f"yibao_ingest__{county}" for county in COUNTIES} == set(cron_dags)
    assert {dag_id: (dag["timezone"], dag["catchup"]) for dag_id, dag in cron_dags.items()} == {
        dag_id: ("Asia/Shanghai", False) for dag_id in cron_dags
    }


def test_downstream_dags_wait_for_data_not_the_clock(dagbag):
    downstream = {dag_id for dag_id in PIPELINE if not dag_id.startswith("yibao_ingest__")}
    assert {dag_id: dagbag["dags"][dag_id]["timetable"] for dag_id in downstream} == dict.fromkeys(
        downstream, "AssetTriggeredTimetable")


@pytest.mark.parametrize("dag_file", sorted(DAGS_FOLDER.glob("*.py")), ids=lambda path: path.name)
def test_parsing_a_dag_file_imports_nothing_heavy(airflow_env, run_python, dag_file):
    assert run_python(IMPORT_DAG_FILE, airflow_env, str(dag_file), *HEAVY_MODULES) == []
