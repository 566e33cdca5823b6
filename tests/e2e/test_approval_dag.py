"""The approval task in a real DAG run (``dag.test()``, real metadata DB): a reviewer rejects the first
batch (push skipped, batch held), then approves the re-offered one (push runs). The answers are given the
way the api-server records them (HITL detail row + resume of the parked task), from a thread."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from yibao import storage

pytestmark = pytest.mark.slow
RUNNER = """
import json, sys, threading, time
from airflow.dag_processing.dagbag import DagBag
from airflow.models.hitl import HITLDetail
from airflow.models.taskinstance import TaskInstance
from airflow.models.trigger import handle_event_submit
from airflow.triggers.base import TriggerEvent
from airflow.utils.session import create_session
from airflow.utils.state import TaskInstanceState
from airflow._shared.timezones import timezone

answers, shown = list(sys.argv[2:]), []

def reviewer():
    while answers:
        asked = None
        try:
            with create_session() as session:
                detail = session.query(HITLDetail).filter(HITLDetail.responded_at.is_(None)).first()
                ti = detail and session.get(TaskInstance, detail.ti_id)
                if ti is not None and ti.state == TaskInstanceState.AWAITING_INPUT:
                    asked = {"subject": detail.subject, "body": detail.body, "options": detail.options}
                    detail.responded_by = {"id": "wang", "name": "王审核"}
                    detail.responded_at = timezone.utcnow()
                    detail.chosen_options = [answers[0]]
                    detail.params_input = {}
                    handle_event_submit(TriggerEvent(detail.as_resume_event_payload()), task_instance=ti,
                                        session=session)
        except Exception as exc:  # the metadata DB was busy: a reviewer in the UI would press again
            print(f"REVIEWER retries after {type(exc).__name__}: {str(exc)[:300]}", flush=True)
            asked = None
        if asked is not None:  # answered and committed
            shown.append(asked)
            answers.pop(0)
        time.sleep(0.5)

threading.Thread(target=reviewer, daemon=True).start()
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
runs = []
for _ in range(2):
    run = bag.get_dag("yibao_tax_push__wenxi-2024").test()
    runs.append({ti.task_id: str(ti.state) for ti in run.get_task_instances()})
print("RESULT=" + json.dumps({"runs": runs, "shown": shown}, ensure_ascii=False))
"""
A, B = "140823194001011239", "14082319800101123X"


def test_reject_holds_the_batch_and_approve_sends_it(airflow_env, run_dags, db_urls, tmp_path, record_bills):
    record_bills(db_urls[0], [(A, "张三丰", "桐城镇", 30400), (B, "李四", "东镇镇", 28000)], "decide")
    # a county lock that is never let go fails a stage within the test's time, naming its holder
    env = airflow_env(YIBAO_HOME=str(tmp_path / "data"), YIBAO_COUNTY="wenxi-2024", YIBAO_AS_OF="2023-12-25",
                      YIBAO_WAREHOUSE_URL=db_urls[0], YIBAO_TAX_EXCHANGE_URL=db_urls[1], YIBAO_LOCK_WAIT_SECONDS="120")
    result, _ = run_dags(RUNNER, ["Reject", "Approve"], env, "RESULT=")
    rejected, approved = result["runs"]
    assert rejected == {"prepare_batch": "success", "approve": "success", "push": "skipped",
                        "read_tax_answers": "success"}
    assert approved == {"prepare_batch": "success", "approve": "success", "push": "success",
                        "read_tax_answers": "success"}

    first, second = result["shown"]
    assert first["options"] == ["Approve", "Reject"] and "2 张" in first["subject"]
    assert "| 桐城镇 | 1 | 304.00 | 304.00 |" in first["body"] and "140823********1239" in first["body"]
    assert A not in first["body"] + second["body"] and "张三丰" not in first["body"]
    assert "上次驳回的批次" in second["body"]

    with storage.engine(db_urls[0]).connect() as conn:
        batches = conn.execute(sa.select(storage.push_batches.c.status, storage.push_batches.c.decided_by)
                               .order_by(storage.push_batches.c.created_at)).all()
    assert [tuple(b) for b in batches] == [("reoffered", "王审核（Airflow 审批）"), ("pushed", "王审核（Airflow 审批）")]
    with storage.engine(db_urls[1]).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(storage.tax_bills)).scalar() == 2
