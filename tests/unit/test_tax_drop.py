"""The batch as files in the tax template (file-drop 前置库): the same exactly-once rules as the table."""

from __future__ import annotations

import dataclasses

import pandas as pd
import sqlalchemy as sa

from yibao import money_path, storage

A, B = "140823194001011239", "14082319800101123X"


def push(settings):
    batch = money_path.prepare_batch(settings, run_id="r")
    if batch["status"] == "pending":
        money_path.decide_batch(settings, batch["batch_id"], approve=True, by="王审核")
    return money_path.push_to_tax(settings)


def test_file_drop_is_exactly_once_and_version_exact(settings, tmp_path, record_bills):
    def make_bills(settings, rows, run_id):
        return record_bills(settings.warehouse_url, [(i, "张三", "桐城镇", f) for i, f in rows], run_id)

    drop = tmp_path / "前置库"
    settings = dataclasses.replace(settings, tax_exchange_url=f"file://{drop}")
    no = make_bills(settings, [(A, 30400), (B, 28000)], "r1")
    assert push(settings)["pushed"] == 2
    files = sorted(drop.glob("特殊缴费单据_140823_2024_*.csv"))
    assert len(files) == 1
    first = pd.read_csv(files[0], dtype="str", encoding="utf-8-sig")
    assert list(first.columns) == ["单据编号", "版本号", "上一版本号", "变更类型", "行政区划代码", "缴费年度", "证件号码",
                                   "姓名", "人员类别", "资助金额", "个人缴费金额", "资金来源"]
    assert first.set_index("证件号码").loc[A, ["变更类型", "资助金额", "个人缴费金额"]].tolist() == ["新增", "304.00", "76.00"]

    assert push(settings)["pushed"] == 0 and len(list(drop.glob("特殊缴费单据_*.csv"))) == 1  # nothing new: no file
    make_bills(settings, [(A, 34200), (B, 28000)], "r2")
    make_bills(settings, [(A, 38000)], "r3")  # A changed twice, B cancelled, before the next push
    done = push(settings)
    assert (done["pushed"], done["superseded"]) == (2, 1)
    second = pd.read_csv(max(drop.glob("特殊缴费单据_*.csv")), dtype="str", encoding="utf-8-sig")
    rows = second.set_index("单据编号")[["版本号", "上一版本号", "变更类型", "资助金额", "个人缴费金额", "资金来源"]]
    assert rows.loc[no[A]].tolist() == ["3", "1", "变更", "380.00", "0.00", '{"医疗救助资金": "380.00"}']
    assert rows.loc[no[B]].tolist() == ["2", "1", "作废", "0.00", "0.00", "{}"]

    # A crash after the file was written but before the warehouse marked it: nothing is written twice.
    with storage.engine(settings.warehouse_url).begin() as conn:
        conn.execute(sa.update(storage.bill_versions).where(storage.bill_versions.c.version > 1)
                     .values(pushed_at=None, superseded_by=None))
    again = push(settings)
    assert (again["pushed"], again["already_present"]) == (0, 2)
    assert len(list(drop.glob("特殊缴费单据_*.csv"))) == 2

    # Tax's 回执 file: B's cancellation rejected.
    (drop / "回执_20231010.csv").write_text(
        f"单据编号,版本号,处理结果,原因代码,原因说明,处理时间\n{no[A]},3,accepted,,,2023-10-10 09:00:00\n"
        f"{no[B]},2,rejected,UNKNOWN_BILL,,2023-10-10 09:00:00\n", encoding="utf-8-sig")
    answers = money_path.read_tax_answers(settings, run_id="r4")
    assert (answers["accepted"], answers["open_rejections"]) == (1, 1)
    with storage.engine(settings.warehouse_url).connect() as conn:
        item = conn.execute(sa.select(storage.work_items)).mappings().one()
    assert item["reason_text"] == "税务无此单据的原始版本，无法变更或作废" and item["id_masked"] == "140823********123X"
