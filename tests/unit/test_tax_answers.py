"""Tax's acknowledgements read back: accepted or rejected with a reason; open rejections become work items."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from yibao import money_path, storage

A, B, C, D = "140823194001011239", "14082319800101123X", "140823200001011231", "140823195001011234"


def make_bills(record_bills, settings, rows, run_id):
    """rows: (id_number, name, subsidy_fen) in 桐城镇, approved and pushed."""
    numbers = record_bills(settings.warehouse_url, [(i, n, "桐城镇", f) for i, n, f in rows], run_id)
    batch = money_path.prepare_batch(settings, run_id=run_id)
    money_path.decide_batch(settings, batch["batch_id"], approve=True, by="王审核")
    money_path.push_to_tax(settings)
    return numbers


def tax_answers(settings, rows):
    """rows: (bill_no, version, result, reason_code, reason_text) as the tax side writes them."""
    now = dt.datetime(2023, 10, 9, 8, 0, tzinfo=dt.UTC)
    with storage.engine(settings.tax_exchange_url).begin() as conn:
        conn.execute(sa.insert(storage.tax_acknowledgements), [
            {"bill_no": b, "version": v, "region_code": "140823", "year": 2024, "result": r, "reason_code": c,
             "reason_text": t, "acked_at": now} for b, v, r, c, t in rows])


def test_rejections_become_work_items_in_chinese_and_a_later_acceptance_closes_them(settings, record_bills):
    no = make_bills(record_bills, settings, [(A, "张三丰", 30400), (B, "李四", 30400), (C, "王五", 28000), (D, "赵六", 19000)], "r1")
    no |= make_bills(record_bills, settings, [(A, "张三丰", 30400), (B, "李四", 30400), (C, "王五", 30400), (D, "赵六", 19000)], "r2")
    tax_answers(settings, [
        (no[A], 1, "accepted", None, None),
        (no[B], 1, "rejected", "NO_TAXPAYER", "无此纳税人"),
        (no[C], 1, "rejected", "AMOUNT_MISMATCH", None),
        (no[C], 2, "accepted", None, None),  # the amended version answers C's rejection
        (no[D], 1, "rejected", "X99", "系统维护中"),
    ])
    got = money_path.read_tax_answers(settings, run_id="r3")
    assert got == {"acks": 5, "accepted": 2, "rejected": 3, "open_rejections": 2}
    with storage.engine(settings.warehouse_url).connect() as conn:
        items = conn.execute(sa.select(storage.work_items).order_by(storage.work_items.c.reason_code)).mappings().all()
    assert [(i["kind"], i["id_masked"], i["name_masked"], i["town"], i["reason_code"], i["reason_text"])
            for i in items] == [
        ("tax_rejected", "140823********123X", "李*", "桐城镇", "NO_TAXPAYER",
         "税务登记中无此缴费人，请核实身份证号码与姓名后重新推送"),
        ("tax_rejected", "140823********1234", "赵*", "桐城镇", "X99", "税务退回（原因代码 X99）：系统维护中"),
    ]
    # Reading again replaces, never duplicates.
    assert money_path.read_tax_answers(settings, run_id="r4")["open_rejections"] == 2
    with storage.engine(settings.warehouse_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(storage.work_items)).scalar() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(storage.tax_acks)).scalar() == 5
