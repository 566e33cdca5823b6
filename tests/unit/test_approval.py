"""Approval before money leaves: batches, auto-approval, rejection held and re-offered, push only approved."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sqlalchemy as sa

from yibao import money_path, storage
from yibao.errors import UserError

A, B, C = "140823194001011239", "14082319800101123X", "140823200001011231"


@pytest.fixture
def ready(settings):
    storage.init_db(storage.engine(settings.warehouse_url))
    return settings


@pytest.fixture
def make_bills(record_bills):
    return lambda settings, rows, run_id: record_bills(settings.warehouse_url, rows, run_id)


def _batch(settings, batch_id):
    with storage.engine(settings.warehouse_url).connect() as conn:
        return conn.execute(sa.select(storage.push_batches).where(storage.push_batches.c.batch_id == batch_id)).one()


def test_the_reviewer_sees_counts_fund_and_town_totals_and_the_largest_changes_masked(ready, make_bills):
    make_bills(ready, [(A, "张三丰", "桐城镇", 30400), (B, "李四", "东镇镇", 28000)], "r1")
    first = money_path.prepare_batch(ready, run_id="r1")
    assert (first["status"], first["bills"], first["new"]) == ("pending", 2, 2)
    money_path.decide_batch(ready, first["batch_id"], approve=True, by="王审核")
    assert money_path.push_to_tax(ready)["pushed"] == 2

    make_bills(ready, [(A, "张三丰", "桐城镇", 38000), (C, "王五", "桐城镇", 19000)], "r2")
    batch = money_path.prepare_batch(ready, run_id="r2")
    assert (batch["new"], batch["amended"], batch["cancelled"]) == (1, 1, 1)
    summary = json.loads(_batch(ready, batch["batch_id"]).summary)
    assert summary["funds"] == {"医疗救助资金": 38000 + 19000}  # current content of the batch; B cancelled → 0
    towns = {t["town"]: (t["bills"], t["after_fen"], t["delta_fen"]) for t in summary["towns"]}
    assert towns == {"桐城镇": (2, 57000, 7600 + 19000), "东镇镇": (1, 0, -28000)}
    assert summary["moved_fen"] == 7600 + 19000 + 28000
    top = summary["largest"][0]
    assert (top["id"], top["name"], top["change"], top["before_fen"], top["after_fen"]) == (
        "140823********123X", "李*", "cancelled", 28000, 0)
    subject, body = money_path.review(ready, batch["batch_id"])
    assert "3 张" in subject and "| 东镇镇 | 1 | 0.00 | -280.00 |" in body and B not in body and "李四" not in body
    assert "资助金额变动合计（绝对值）546.00 元" in body and "| 桐城镇 | 2 | 570.00 | 266.00 |" in body


def test_a_rejected_batch_is_held_and_offered_again_with_what_changed_since(ready, make_bills):
    make_bills(ready, [(A, "张三丰", "桐城镇", 30400)], "r1")
    first = money_path.prepare_batch(ready, run_id="r1")
    assert money_path.decide_batch(ready, first["batch_id"], approve=False, by="王审核") == "rejected"
    with pytest.raises(UserError, match="没有与之一致的已审批批次"):
        money_path.push_to_tax(ready)

    make_bills(ready, [(A, "张三丰", "桐城镇", 30400), (B, "李四", "东镇镇", 28000)], "r2")
    again = money_path.prepare_batch(ready, run_id="r2")
    assert again["batch_id"] != first["batch_id"] and again["status"] == "pending" and again["bills"] == 2
    row = _batch(ready, again["batch_id"])
    assert row.previous_batch == first["batch_id"]
    assert json.loads(row.summary)["since_rejected"] == {"batch_id": first["batch_id"], "bills_then": 1,
                                                         "new": 1, "amended": 0, "cancelled": 0}
    assert "上次驳回的批次" in money_path.review(ready, again["batch_id"])[1]
    assert _batch(ready, first["batch_id"]).status == "reoffered"

    # The same pending set keeps its batch; an approval is for exactly that set.
    assert money_path.prepare_batch(ready, run_id="r3")["batch_id"] == again["batch_id"]
    money_path.decide_batch(ready, again["batch_id"], approve=True, by="王审核")
    assert money_path.push_to_tax(ready)["pushed"] == 2
    assert _batch(ready, again["batch_id"]).status == "pushed"
    assert money_path.prepare_batch(ready, run_id="r4") == {"batch_id": None, "bills": 0, "status": "nothing_pending"}


def test_small_batches_are_auto_approved_and_recorded_as_such(ready, make_bills):
    auto = dataclasses.replace(ready, auto_approve_max_bills=1, auto_approve_max_yuan="304.00")
    make_bills(ready, [(A, "张三丰", "桐城镇", 30400)], "r1")
    batch = money_path.prepare_batch(auto, run_id="r1")
    assert batch["status"] == "auto_approved" and batch["decided_by"].startswith("自动批准")
    assert money_path.push_to_tax(auto)["pushed"] == 1

    make_bills(ready, [(A, "张三丰", "桐城镇", 38000)], "r2")  # 76 yuan moved: still under 304
    make_bills(ready, [(A, "张三丰", "桐城镇", 38000), (B, "李四", "东镇镇", 28000)], "r3")  # 2 bills: too many
    assert money_path.prepare_batch(auto, run_id="r3")["status"] == "pending"
