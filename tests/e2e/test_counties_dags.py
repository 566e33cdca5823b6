"""Two counties served by one deployment (``YIBAO_COUNTIES``) have independent DAG sets: 巨野's broken
退役军人 drop fails only that county's ingest run (one red mapped task, labelled with the department and
roster), while 闻喜's ingest is all green and its decide DAG goes on. Real tasks with ``dag.test()`` on a
real Airflow metadata DB, in a subprocess, the way a worker runs them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from yibao import storage, synth

pytestmark = pytest.mark.slow
RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.models.asset import AssetEvent, AssetModel
from airflow.utils.session import create_session
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
states = {}
for dag_id in sys.argv[2:]:
    run = bag.get_dag(dag_id).test(run_conf={"as_of": "2023-12-25"})
    states[dag_id] = {"run": str(run.state),
                      "tasks": {f"{ti.task_id}[{ti.rendered_map_index}]": str(ti.state) for ti in run.get_task_instances()}}
with create_session() as session:
    events = session.query(AssetModel.uri, AssetEvent.extra).join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
    extras = {uri: extra for uri, extra in events}
print("RESULT=" + json.dumps({"states": states, "extras": extras}, ensure_ascii=False))
"""
BROKEN = "退役军人事务局·优抚对象名单"


def test_one_countys_broken_drop_leaves_the_other_county_green(airflow_env, run_dags, db_urls, tmp_path,
                                                              auto_approve):
    home = tmp_path / "data"
    synth.generate("wenxi-2024", 800, 7, home / "inbox" / "wenxi-2024")
    synth.generate("juye-2024", 800, 8, home / "inbox" / "juye-2024")
    (roster,) = (home / "inbox" / "juye-2024" / "退役军人").glob("*.csv")
    roster.write_text("完全不对的表头,另一列\n1,2\n", encoding="utf-8")
    env = airflow_env(YIBAO_HOME=str(home), YIBAO_COUNTIES="wenxi-2024,juye-2024",
                      YIBAO_WAREHOUSE_URL=db_urls[0], YIBAO_TAX_EXCHANGE_URL=db_urls[1], **auto_approve)
    dag_ids = ["yibao_ingest__juye-2024", "yibao_ingest__wenxi-2024", "yibao_decide__wenxi-2024"]
    result, _ = run_dags(RUNNER, dag_ids, env, "RESULT=", timeout=900)
    juye, wenxi, decide = (result["states"][dag_id] for dag_id in dag_ids)

    red = {task for task, state in juye["tasks"].items() if state == "failed"}
    assert juye["run"] == "failed" and red == {f"ingest[{BROKEN}]", f"check_due[{BROKEN}]"}, juye
    # every task green but `correct`, which runs only on reruns for corrected rosters
    assert wenxi["run"] == "success" and wenxi["tasks"].pop("correct[None]") == "skipped", wenxi
    assert set(wenxi["tasks"].values()) == {"success"}, wenxi
    assert len([t for t in wenxi["tasks"] if t.startswith("ingest[")]) == 11
    assert decide["run"] == "success" and set(decide["tasks"].values()) == {"success"}, decide

    # Each county's data stays in its own folders and rows; each county announced its own asset.
    assert len(list((home / "staging" / "wenxi-2024" / "feeds").glob("*.arrow"))) == 11
    assert len(list((home / "staging" / "juye-2024" / "feeds").glob("*.arrow"))) == 10
    with storage.engine(db_urls[0]).connect() as conn:
        failed = conn.execute(sa.select(storage.feed_loads.c.county, storage.feed_loads.c.feed)
                              .where(storage.feed_loads.c.status == "failed")).all()
        bills = dict(conn.execute(sa.select(storage.bills.c.county, sa.func.count())
                                  .group_by(storage.bills.c.county)).all())
    assert failed == [("juye-2024", "tuiyi")]
    assert set(bills) == {"wenxi-2024"} and bills["wenxi-2024"] > 0
    extras = result["extras"]
    assert extras["yibao://wenxi-2024/staging"] == {"county": "wenxi-2024", "feeds_published": 11}
    assert extras["yibao://juye-2024/staging"] == {"county": "juye-2024", "feeds_published": 10}
    assert extras["yibao://wenxi-2024/bills"]["county"] == "wenxi-2024"
