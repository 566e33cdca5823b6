"""The tax side's answer: acknowledgements read back from the exchange; rejected bills become work items.

Exchange contract (``tsjf_acks``, written by tax): one row per bill version it processed, ``result``
``accepted`` or ``rejected`` with a ``reason_code`` (and optionally its own text). A bill's standing is its
latest acknowledged version: a rejection that a later accepted version answers is no longer open.
Reason codes are translated for the clerk below; an unknown code keeps tax's own words.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from yibao import storage
from yibao.masking import mask_id_series, mask_name
from yibao.storage import bills, tax_acknowledgements, tax_acks, work_items

KIND = "tax_rejected"
TAX_REASONS = {
    "NO_TAXPAYER": "税务登记中无此缴费人，请核实身份证号码与姓名后重新推送",
    "ALREADY_PAID": "该人员本年度已缴费，资助需按退费或更正处理",
    "DUPLICATE_BILL": "税务已有该人员本年度的特殊缴费单据（单据重复）",
    "AMOUNT_MISMATCH": "资助金额与税务核定的个人缴费标准不符，请核对资助政策",
    "UNKNOWN_BILL": "税务无此单据的原始版本，无法变更或作废",
    "REGION_MISMATCH": "缴费人参保地不在本县（区），请核实参保地",
    "EMPLOYEE_INSURED": "缴费人已参加职工基本医疗保险，不应参加居民医保",
}


def reason_text(codes: pd.Series, texts: pd.Series) -> pd.Series:
    """Chinese reason per rejected ack: ours for known codes, else tax's words with the code."""
    known = codes.map(TAX_REASONS)
    fallback = "税务退回（原因代码 " + codes.fillna("无") + "）" + ("：" + texts).fillna("")
    return known.fillna(fallback)


def read(exchange: sa.Connection, region_code: str, year: int) -> pd.DataFrame:
    query = sa.select(
        tax_acknowledgements.c.bill_no, tax_acknowledgements.c.version, tax_acknowledgements.c.result,
        tax_acknowledgements.c.reason_code, tax_acknowledgements.c.reason_text, tax_acknowledgements.c.acked_at,
    ).where(tax_acknowledgements.c.region_code == region_code, tax_acknowledgements.c.year == year)
    return storage.read_frame(exchange, query, ints=("version",))


def record(conn: sa.Connection, acks: pd.DataFrame, county: str, year: int, run_id: str) -> dict[str, int]:
    """Replace this county's acknowledgements and its open tax rejections (derived, so rerunnable)."""
    conn.execute(sa.delete(tax_acks).where(tax_acks.c.county == county))
    conn.execute(sa.delete(work_items).where(work_items.c.county == county, work_items.c.kind == KIND))
    if acks.empty:  # tax has not answered yet
        return {"acks": 0, "accepted": 0, "rejected": 0, "open_rejections": 0}
    held = storage.read_frame(conn, sa.select(bills.c.bill_no, bills.c.id_number, bills.c.name, bills.c.town)
                              .where(bills.c.county == county, bills.c.year == year))
    acks = acks.merge(held[["bill_no"]], on="bill_no")  # only this county's bills
    rejected_text = reason_text(acks["reason_code"], acks["reason_text"]).where(acks["result"] == "rejected")
    storage.insert_frame(conn, tax_acks, pd.DataFrame({
        "county": county, "bill_no": acks["bill_no"], "version": acks["version"], "result": acks["result"],
        "reason_code": acks["reason_code"], "reason_text": rejected_text, "acked_at": acks["acked_at"],
        "run_id": run_id,
    }))
    latest = acks.assign(reason=rejected_text).sort_values("version").drop_duplicates("bill_no", keep="last")
    open_ = latest[latest["result"] == "rejected"].merge(held, on="bill_no")
    storage.insert_frame(conn, work_items, pd.DataFrame({
        "county": county, "kind": KIND, "bill_no": open_["bill_no"],
        "id_masked": mask_id_series(open_["id_number"]), "name_masked": open_["name"].map(mask_name),
        "town": open_["town"], "reason_code": open_["reason_code"].fillna("UNKNOWN"), "reason_text": open_["reason"],
        "run_id": run_id,
    }))
    return {"acks": len(acks), "accepted": int((acks["result"] == "accepted").sum()),
            "rejected": int((acks["result"] == "rejected").sum()), "open_rejections": len(open_)}
