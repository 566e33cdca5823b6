"""Bills: stable numbers, versions only on change, exactly-once delivery to the tax exchange."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import bills, storage, tax_exchange

FUNDS = ["medical_assistance", "city_budget"]
NAMES = {"medical_assistance": "医疗救助资金", "city_budget": "市级财政"}


def decided(rows):
    """rows: (id_number, category, subsidy_fen, assistance_fen, city_fen)."""
    return pd.DataFrame(
        {
            "key": range(len(rows)),
            "id_number": [r[0] for r in rows],
            "name": ["张三"] * len(rows),
            "town": ["桐城镇"] * len(rows),
            "category": [r[1] for r in rows],
            "clause": ["c1"] * len(rows),
            "subsidy_fen": [r[2] for r in rows],
            "personal_fen": [38000 - r[2] for r in rows],
            "fund_medical_assistance_fen": [r[3] for r in rows],
            "fund_city_budget_fen": [r[4] for r in rows],
            "basis": ["闻政办发〔2023〕29号 二（二）"] * len(rows),
        }
    )


A, B, C = "140823194001011239", "14082319800101123X", "140823200001011231"


def test_bill_numbers_depend_only_on_county_year_and_person():
    ids = pd.Series([A, B])
    first = bills.bill_numbers("140823", 2024, ids)
    assert first.tolist() == bills.bill_numbers("140823", 2024, ids[::-1]).tolist()[::-1]
    assert first[0] != bills.bill_numbers("140823", 2025, ids)[0]
    assert first[0] != bills.bill_numbers("371724", 2024, ids)[0]
    assert not any(A in n or A[6:14] in n for n in first)


def test_only_subsidized_people_get_bills_and_funds_are_exact_json():
    out = bills.build_bills(decided([(A, "特困人员", 38000, 38000, 0), (B, None, 0, 0, 0)]), FUNDS, "140823", 2024)
    assert len(out) == 1
    assert json.loads(out.loc[0, "funds"]) == {"medical_assistance": 38000}


def test_diff_classifies_new_unchanged_amended_cancelled():
    first = bills.build_bills(decided([(A, "特困人员", 38000, 38000, 0), (B, "低保对象", 30400, 30400, 0)]),
                              FUNDS, "140823", 2024)
    previous = first[["bill_no", "content_hash"]].assign(version=1, status="active")
    second = bills.build_bills(decided([(A, "特困人员", 38000, 38000, 0), (C, "孤儿", 38000, 0, 38000)]),
                               FUNDS, "140823", 2024)
    second_b = bills.build_bills(decided([(B, "低保对象", 34200, 34200, 0)]), FUNDS, "140823", 2024)
    delta = bills.diff_bills(pd.concat([second, second_b], ignore_index=True), previous)
    change = dict(zip(delta["bill_no"], delta["change"], strict=True))
    version = dict(zip(delta["bill_no"], delta["version"], strict=True))
    no = dict(zip([A, B, C], bills.bill_numbers("140823", 2024, pd.Series([A, B, C])), strict=True))
    assert change == {no[A]: "unchanged", no[B]: "amended", no[C]: "new"}
    assert (version[no[A]], version[no[B]], version[no[C]]) == (1, 2, 1)

    gone = bills.diff_bills(second.iloc[:1], first[["bill_no", "content_hash"]].assign(version=1, status="active"))
    assert dict(zip(gone["bill_no"], gone["change"], strict=True)) == {no[A]: "unchanged", no[B]: "cancelled"}


def _run(conn_engine, frame, run_id):
    current = bills.build_bills(frame, FUNDS, "140823", 2024)
    with conn_engine.begin() as conn:
        delta = bills.diff_bills(current, bills.previous_bills(conn, "wenxi-2024", 2024))
        return bills.record_changes(conn, delta, "wenxi-2024", 2024, run_id)


def test_versions_and_exactly_once_push_on_the_real_databases(db_urls):
    warehouse, exchange = storage.engine(db_urls[0]), storage.engine(db_urls[1])
    storage.init_db(warehouse)
    storage.init_exchange(exchange)
    day1 = decided([(A, "特困人员", 38000, 38000, 0), (B, "低保对象", 30400, 30400, 0)])
    assert _run(warehouse, day1, "r1") == {"new": 2, "amended": 0, "cancelled": 0, "unchanged": 0}
    assert tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)["pushed"] == 2

    # The same inputs again: nothing changes and nothing is sent.
    assert _run(warehouse, day1, "r2") == {"new": 0, "amended": 0, "cancelled": 0, "unchanged": 2}
    assert tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)["pushed"] == 0

    # B leaves the roster, C is added: one cancellation and one new bill go out as deltas.
    day2 = decided([(A, "特困人员", 38000, 38000, 0), (C, "孤儿", 38000, 0, 38000)])
    assert _run(warehouse, day2, "r3") == {"new": 1, "amended": 0, "cancelled": 1, "unchanged": 1}
    assert tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)["pushed"] == 2
    with exchange.connect() as conn:
        rows = conn.execute(sa.select(storage.tax_bills).order_by(storage.tax_bills.c.pushed_at)).mappings().all()
    assert [(r["change"], r["version"]) for r in rows].count(("cancelled", 2)) == 1
    cancelled = next(r for r in rows if r["change"] == "cancelled")
    assert str(cancelled["subsidy"]) == "0.00"
    new_c = next(r for r in rows if r["id_number"] == C)
    assert json.loads(new_c["funds"]) == {"市级财政": "380.00"}
    assert len(rows) == 4


def test_a_crash_between_exchange_commit_and_marking_never_sends_twice(db_urls):
    warehouse, exchange = storage.engine(db_urls[0]), storage.engine(db_urls[1])
    storage.init_db(warehouse)
    storage.init_exchange(exchange)
    _run(warehouse, decided([(A, "特困人员", 38000, 38000, 0)]), "r1")
    tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)
    with warehouse.begin() as conn:  # simulate: exchange committed, warehouse never marked
        conn.execute(sa.update(storage.bill_versions).values(pushed_at=None))
    again = tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)
    assert again == {"pushed": 0, "already_present": 1, "superseded": 0, "pending": 0}
    with exchange.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(storage.tax_bills)).scalar() == 1


def test_paid_first_categories_get_no_assisted_bill():
    # 先缴后补: the person pays the whole personal part; the subsidy is reimbursed later, not billed.
    frame = decided([(A, "低保对象", 38000, 38000, 0), (B, "重点困境儿童", 38000, 0, 38000)])
    frame["paid_first"] = [False, True]
    assert bills.build_bills(frame, FUNDS, "140823", 2024)["id_number"].tolist() == [A]


def _exchange_rows(exchange):
    with exchange.connect() as conn:
        return conn.execute(sa.select(storage.tax_bills).order_by(storage.tax_bills.c.bill_no,
                                                                   storage.tax_bills.c.version)).mappings().all()


def _versions(warehouse):
    with warehouse.connect() as conn:
        rows = conn.execute(sa.select(storage.bill_versions).order_by(storage.bill_versions.c.version)).mappings().all()
    return [(r["version"], r["change"], r["pushed_at"] is not None, r["superseded_by"]) for r in rows]


def test_a_bill_changed_twice_during_an_outage_reaches_tax_once_superseding_the_skipped_version(db_urls):
    """Contract (tax_exchange docstring): the latest version is sent with prev_version; skipped versions are
    recorded as superseded, never as pushed."""
    warehouse, exchange = storage.engine(db_urls[0]), storage.engine(db_urls[1])
    storage.init_db(warehouse)
    storage.init_exchange(exchange)
    _run(warehouse, decided([(B, "低保对象", 30400, 30400, 0)]), "r1")
    tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)
    # Two changes while the exchange is down (no push in between): 304 → 342 → 380 yuan.
    _run(warehouse, decided([(B, "低保对象", 34200, 34200, 0)]), "r2")
    _run(warehouse, decided([(B, "特困人员", 38000, 38000, 0)]), "r3")
    done = tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)
    assert done == {"pushed": 1, "already_present": 0, "superseded": 1, "pending": 0}
    rows = _exchange_rows(exchange)
    assert [(r["version"], r["change"], r["prev_version"], str(r["subsidy"])) for r in rows] == [
        (1, "new", 0, "304.00"), (3, "amended", 1, "380.00")]
    assert _versions(warehouse) == [(1, "new", True, None), (2, "amended", False, 3), (3, "amended", True, None)]


def test_a_cancellation_carries_zero_amounts_everywhere(db_urls):
    warehouse, exchange = storage.engine(db_urls[0]), storage.engine(db_urls[1])
    storage.init_db(warehouse)
    storage.init_exchange(exchange)
    _run(warehouse, decided([(A, "特困人员", 38000, 38000, 0), (B, "低保对象", 30400, 20000, 10400)]), "r1")
    tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)
    assert _run(warehouse, decided([(A, "特困人员", 38000, 38000, 0)]), "r2")["cancelled"] == 1
    with warehouse.connect() as conn:
        bill = conn.execute(sa.select(storage.bills).where(storage.bills.c.status == "cancelled")).mappings().one()
    assert (bill["subsidy_fen"], bill["personal_fen"], bill["funds"], bill["version"]) == (0, 0, "{}", 2)
    tax_exchange.push(warehouse, exchange, "wenxi-2024", "140823", 2024, NAMES)
    cancel = next(r for r in _exchange_rows(exchange) if r["change"] == "cancelled")
    assert (str(cancel["subsidy"]), str(cancel["personal"]), cancel["funds"], cancel["prev_version"]) == (
        "0.00", "0.00", "{}", 1)


def test_an_unreachable_exchange_is_named_without_its_password():
    url = "postgresql+psycopg2://tax:s3cret@127.0.0.1:1/qianzhiku"
    with pytest.raises(tax_exchange.ExchangeUnavailable) as caught:
        tax_exchange.connect_exchange(url)
    message = str(caught.value)
    assert message.startswith("税务前置库无法连接: 127.0.0.1/1/qianzhiku")
    assert "s3cret" not in message and "\n" not in message


def test_person_keys_stay_exact_when_a_cancellation_is_recorded_beside_an_amendment(db_urls):
    """Real person keys exceed 2**53: a cancelled bill's empty row must not turn the others' keys into floats."""
    warehouse = storage.engine(db_urls[0])
    storage.init_db(warehouse)
    big = 154905519782377857  # odd and above 2**53: float64 would round it
    first = decided([(A, "特困人员", 38000, 38000, 0), (B, "低保对象", 30400, 30400, 0)]).assign(key=[big, big + 2])
    _run(warehouse, first, "r1")
    _run(warehouse, first.iloc[:1].assign(subsidy_fen=34200, fund_medical_assistance_fen=34200), "r2")
    with warehouse.connect() as conn:
        held = dict(conn.execute(sa.select(storage.bills.c.person_key, storage.bills.c.status)).all())
    assert held == {big: "active", big + 2: "cancelled"}


def test_pending_bills_come_in_bill_number_order_whatever_the_database_returns(db_urls, monkeypatch):
    """The approval fingerprint hashes pending bills in order: the order is the frame's sort, not the read's
    (here the read is made to hand the rows over reversed)."""
    warehouse = storage.engine(db_urls[0])
    storage.init_db(warehouse)
    _run(warehouse, decided([(f"1408231940010{n:04d}X", "特困人员", 38000, 38000, 0) for n in range(40)]), "r1")
    read = storage.read_frame
    monkeypatch.setattr(storage, "read_frame", lambda *a, **k: read(*a, **k).iloc[::-1].reset_index(drop=True))
    with warehouse.connect() as conn:
        pending = tax_exchange.pending_versions(conn, "wenxi-2024", 2024)
    assert len(pending) == 40 and pending["bill_no"].tolist() == sorted(pending["bill_no"])
    assert pending.index.tolist() == list(range(40))
