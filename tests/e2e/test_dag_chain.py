"""The four DAGs run in order with ``dag.test()`` (real tasks, real Airflow metadata DB) on a generated
county, and the warehouse they leave behind is checked against the generator's ground truth.

Each chain runs in a subprocess with its own AIRFLOW_HOME, the way a worker would run it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import storage, synth

pytestmark = pytest.mark.slow
CHAIN = [f"yibao_{stage}__wenxi-2024" for stage in ("ingest", "decide", "tax_push", "coverage")]
RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
states = {}
for dag_id in sys.argv[2:]:
    run = bag.get_dag(dag_id).test(run_conf={"as_of": "2023-12-25"})
    states[dag_id] = {"run": str(run.state), "tasks": sorted({str(ti.state) for ti in run.get_task_instances()})}
from airflow.models.asset import AssetEvent, AssetModel
from airflow.utils.session import create_session
with create_session() as session:
    events = session.query(AssetModel.name, AssetEvent.extra).join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
    extras = {name: extra for name, extra in events if name in ("yibao://wenxi-2024/coverage", "yibao://wenxi-2024/reports")}
print("STATES=" + json.dumps(states))
print("EXTRAS=" + json.dumps(extras, ensure_ascii=False))
"""


def test_dag_chain_on_generated_county(airflow_env, run_dags, db_urls, tmp_path, auto_approve):
    home = tmp_path / "data"
    summary = synth.generate("wenxi-2024", 3000, 5, home / "inbox" / "wenxi-2024")
    env = airflow_env(YIBAO_HOME=str(home), YIBAO_COUNTY="wenxi-2024",
                      YIBAO_WAREHOUSE_URL=db_urls[0], YIBAO_TAX_EXCHANGE_URL=db_urls[1], **auto_approve)
    states, output = run_dags(RUNNER, CHAIN, env, "STATES=")
    assert all(s["run"] == "success" for s in states.values()), states
    # the ingest DAG's `correct` (reruns for corrected rosters only) is the one task that skips
    ingest = "yibao_ingest__wenxi-2024"
    assert states[ingest]["tasks"] == ["skipped", "success"], states
    assert all(s["tasks"] == ["success"] for d, s in states.items() if d != ingest), states

    truth = pd.read_parquet(home / "inbox" / "wenxi-2024" / "_truth" / "persons.parquet")
    defects = pd.read_parquet(home / "inbox" / "wenxi-2024" / "_truth" / "defects.parquet")
    register_rejected = set(defects.loc[(defects["feed"] == "gongan_huji") & (defects["expect"] == "reject"), "key"])
    should = truth[truth["should_insure"] & ~truth["key"].isin(register_rejected)]
    warehouse, exchange = storage.engine(db_urls[0]), storage.engine(db_urls[1])
    with warehouse.connect() as conn:
        cov = pd.DataFrame(conn.execute(sa.select(storage.coverage_by_town)).mappings().all())
        bills = conn.execute(sa.select(sa.func.count()).select_from(storage.bills)).scalar()
        loads = conn.execute(sa.select(storage.feed_loads.c.feed, storage.feed_loads.c.status)).all()
    with exchange.connect() as conn:
        pushed = conn.execute(sa.select(sa.func.count()).select_from(storage.tax_bills)).scalar()
    assert cov["should_insure"].sum() == len(should)
    assert cov["paid"].sum() == int(should["paid"].sum())
    assert str(cov["as_of"].iloc[0]) == summary.as_of.isoformat()
    assert bills > 0 and pushed == bills
    assert {status for _, status in loads} == {"ok"} and len(loads) == 11

    # The coverage DAG's asset events carry the headline figures and where the day's outputs are.
    extras = json.loads(next(x for x in output.splitlines() if x.startswith("EXTRAS=")).removeprefix("EXTRAS="))
    headline = extras["yibao://wenxi-2024/coverage"]
    assert (headline["should_insure"], headline["paid"]) == (len(should), int(should["paid"].sum()))
    assert headline["gap"] == headline["should_insure"] - headline["paid"] and 0 < headline["rate"] < 1
    day = home / "outbox" / "wenxi-2024" / "2023-12-25"
    assert extras["yibao://wenxi-2024/reports"]["outbox"] == str(day)
    assert (day / "参保缴费日报.html").is_file() and (day / "参保缴费日报.xlsx").is_file()
    assert len(list((day / "催缴名单").glob("*.xlsx"))) == extras["yibao://wenxi-2024/reports"]["reminder_files"] == 13
