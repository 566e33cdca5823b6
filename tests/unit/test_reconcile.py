"""Reconciliation of tax payment records with bills, on hand-built cases (闻喜 2024: personal part 380 yuan)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from yibao.reconcile import reconcile

AS_OF = dt.date(2023, 12, 25)
# (person_key, status, subsidy_fen, personal_fen, first pushed to tax)
BILLS = [
    (1, "active", 30400, 7600, "2023-12-01"),   # 低保, nothing paid, 24 days: remind
    (2, "active", 38000, 0, "2023-10-01"),      # 特困, no 0.00 record after 85 days
    (3, "active", 28000, 10000, "2023-10-01"),  # paid its 100 yuan twice
    (4, "active", 19000, 19000, "2023-10-01"),  # paid the full 380 although 190 is subsidized
    (5, "active", 30400, 7600, "2023-10-01"),   # paid 100 instead of 76
    (6, "active", 30400, 7600, "2023-10-01"),   # paid exactly 76: fine
    (7, "cancelled", 0, 0, "2023-10-01"),       # cancelled: nothing to follow
    (8, "active", 30400, 7600, "2023-10-01"),   # nothing paid after 85 days: overdue, not a reminder
    (9, "active", 38000, 0, "2023-12-20"),      # fully subsidized, tax has had it 5 days: not yet a case
]
# (person_key, paid_year, paid_fen, paid_date)
PAYMENTS = [
    (1, 2024, 7600, "2023-12-30"),  # after as_of: not counted yet
    (3, 2024, 10000, "2023-10-08"), (3, 2024, 10000, "2023-11-02"),
    (4, 2024, 38000, "2023-10-09"),
    (5, 2024, 10000, "2023-10-10"),
    (6, 2024, 7600, "2023-10-10"), (6, 2023, 35000, "2022-11-01"),  # last year's payment is not a duplicate
]


def test_each_case_is_found_once_with_its_amount_and_chinese_reason():
    bills = pd.DataFrame({
        "bill_no": [f"TS{k}" for k, *_ in BILLS], "person_key": [k for k, *_ in BILLS],
        "id_number": [f"14082319800101{k:03d}X" for k, *_ in BILLS], "name": "张三", "town": "桐城镇",
        "status": [b[1] for b in BILLS], "subsidy_fen": [b[2] for b in BILLS], "personal_fen": [b[3] for b in BILLS],
    })
    first_pushed = pd.Series({f"TS{k}": f"{d} 08:00:00" for k, *_, d in BILLS})
    payments = pd.DataFrame({
        "key": [p[0] for p in PAYMENTS], "paid_year": [p[1] for p in PAYMENTS], "paid_fen": [p[2] for p in PAYMENTS],
        "paid_date": pd.to_datetime([p[3] for p in PAYMENTS]),
    })
    asked = []
    cases = reconcile(bills, payments, lambda nos: asked.append(set(nos)) or first_pushed, year=2024, as_of=AS_OF, full_fen=38000, overdue_days=30)
    got = {(row.kind, row.person_key, row.amount_fen) for row in cases.itertuples()}
    assert got == {
        ("personal_unpaid", 1, 7600),
        ("no_payment_after_days", 2, 0),
        ("no_payment_after_days", 8, 7600),
        ("duplicate_payment", 3, 10000),
        ("paid_full_despite_subsidy", 4, 19000),
        ("amount_differs", 5, 2400),
    }
    assert asked == [{"TS1", "TS2", "TS8", "TS9"}]  # only bills without a payment: their age is what matters
    text = dict(zip(cases["person_key"], cases["reason_text"], strict=True))
    assert text[1] == "资助对象个人缴费部分未缴：应缴 76.00 元"
    assert text[3] == "重复缴费：本年度缴费 2 笔，合计 200.00 元，单据个人应缴 100.00 元"
    assert text[4] == "享受资助却按全额 380.00 元缴费，应退费或更正 190.00 元"
    assert text[5] == "缴费金额与单据不符：单据个人应缴 76.00 元，实缴 100.00 元"
    assert text[8].startswith("单据推送税务已超过 30 天仍无缴费记录")
