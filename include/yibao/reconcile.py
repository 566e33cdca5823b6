"""Reconciliation of tax payment records with the bills: the cases a person must follow up.

Per campaign year, with payments dated on or before ``as_of``; each active bill falls in at most one
"no payment" case and at most one "payment" case:

* ``personal_unpaid`` — an assisted person's personal part (> 0) is unpaid (a reminder case);
* ``no_payment_after_days`` — tax has had the bill more than N days and there is no payment record at all
  (fully subsidized people included: their 0.00 record never came);
* ``duplicate_payment`` — more than one payment record for the year;
* ``paid_full_despite_subsidy`` — one payment of the full personal standard although a subsidy is due
  (refund or correction of the subsidy amount);
* ``amount_differs`` — one payment that is neither the bill's personal part nor the full standard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from yibao.money import yuan, yuan_series

KINDS = ("personal_unpaid", "no_payment_after_days", "duplicate_payment", "paid_full_despite_subsidy",
         "amount_differs")
CASE_COLUMNS = ["kind", "bill_no", "person_key", "amount_fen", "reason_text"]  # who: looked up for the cases only


def reconcile(bills: pd.DataFrame, payments: pd.DataFrame, first_pushed: Callable[[pd.Series], pd.Series], *,
              year: int, as_of: dt.date, full_fen: int, overdue_days: int) -> pd.DataFrame:
    """Cases (``CASE_COLUMNS``); ``amount_fen`` is the money in question (to collect, refund or check).

    ``bills`` are the warehouse's bills; ``payments`` the staged tax payment feed (key, paid_year, paid_fen,
    paid_date); ``first_pushed(bill_nos)`` maps those bills to when tax first received them (asked only for the
    bills without a payment, the only ones whose age matters).
    """
    active = bills[bills["status"] == "active"]
    if len(payments):
        counted = payments[(payments["paid_year"] == year) & (payments["paid_date"] <= pd.Timestamp(as_of))]
    else:
        counted = pd.DataFrame({"key": pd.Series(dtype="int64"), "paid_fen": pd.Series(dtype="int64")})
    counted = counted[counted["key"].isin(active["person_key"])]  # billed people: a few percent of the records
    per_person = counted.groupby("key").agg(n=("paid_fen", "size"), paid_fen=("paid_fen", "sum"))
    m = active.merge(per_person, left_on="person_key", right_index=True, how="left")
    n = m["n"].fillna(0).astype("int64")
    paid = m["paid_fen"].fillna(0).astype("int64")
    personal, subsidy = m["personal_fen"].astype("int64"), m["subsidy_fen"].astype("int64")
    unpaid = m.loc[n == 0, "bill_no"]
    pushed = pd.to_datetime(unpaid.map(first_pushed(unpaid)), utc=True, format="ISO8601").reindex(m.index)
    age = (pd.Timestamp(as_of, tz="UTC") - pushed.dt.floor("D")).dt.days
    overdue = (n == 0) & age.gt(overdue_days).fillna(False)
    paid_full = (n == 1) & (paid == full_fen) & (subsidy > 0)
    # kind → (which bills, the money in question, the reason text for those bills only)
    cases = {
        "personal_unpaid": ((n == 0) & (personal > 0) & ~overdue, personal,
                            lambda at: "资助对象个人缴费部分未缴：应缴 " + yuan_series(personal[at]) + " 元"),
        "no_payment_after_days": (overdue, personal, lambda at: f"单据推送税务已超过 {overdue_days} 天仍无缴费记录：个人应缴 "
                                  + yuan_series(personal[at]) + " 元"),
        "duplicate_payment": (n > 1, paid - personal,
                              lambda at: "重复缴费：本年度缴费 " + n[at].astype("str") + " 笔，合计 " + yuan_series(paid[at])
                              + " 元，单据个人应缴 " + yuan_series(personal[at]) + " 元"),
        "paid_full_despite_subsidy": (paid_full, subsidy, lambda at: f"享受资助却按全额 {yuan(full_fen)} 元缴费，应退费或更正 "
                                      + yuan_series(subsidy[at]) + " 元"),
        "amount_differs": ((n == 1) & (paid != personal) & ~paid_full, paid - personal,
                           lambda at: "缴费金额与单据不符：单据个人应缴 " + yuan_series(personal[at]) + " 元，实缴 "
                           + yuan_series(paid[at]) + " 元"),
    }
    frames = [
        pd.DataFrame({"kind": kind, "bill_no": m.loc[mask, "bill_no"], "person_key": m.loc[mask, "person_key"],
                      "amount_fen": amount[mask], "reason_text": text(mask)})
        for kind, (mask, amount, text) in cases.items()
    ]
    return pd.concat(frames, ignore_index=True)[CASE_COLUMNS]
