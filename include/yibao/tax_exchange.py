"""Push bill versions to the tax side's front-end exchange table, exactly once.

The warehouse marks a version as pushed only after the exchange has it; a crash in between is healed on
the next run because versions already present in the exchange are skipped, never sent twice.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import sqlalchemy as sa

from yibao import storage
from yibao.money import fen_to_yuan
from yibao.storage import bill_versions, bills, tax_bills


def pending_versions(conn: sa.Connection, county: str, year: int) -> pd.DataFrame:
    """The current content of every bill that has a version not yet pushed."""
    pending = (
        sa.select(bill_versions.c.bill_no)
        .where(bill_versions.c.pushed_at.is_(None))
        .distinct()
        .subquery()
    )
    latest_change = (
        sa.select(bill_versions.c.change)
        .where(bill_versions.c.bill_no == bills.c.bill_no, bill_versions.c.version == bills.c.version)
        .scalar_subquery()
    )
    query = (
        sa.select(
            bills.c.bill_no, bills.c.version, latest_change.label("change"), bills.c.id_number, bills.c.name,
            bills.c.category, bills.c.subsidy_fen, bills.c.personal_fen, bills.c.funds,
        )
        .join(pending, pending.c.bill_no == bills.c.bill_no)
        .where(bills.c.county == county, bills.c.year == year)
        .order_by(bills.c.bill_no)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=list(query.selected_columns.keys()))


def _funds_for_tax(funds: pd.Series, cancelled: pd.Series, fund_names: dict[str, str]) -> list[str]:
    """Fund JSON as the tax side reads it: Chinese fund names and yuan strings (zeros for cancellations)."""
    def render(text: str, cancel: bool) -> str:
        amounts = {fund_names.get(k, k): str(fen_to_yuan(0 if cancel else v)) for k, v in json.loads(text).items()}
        return json.dumps(amounts, ensure_ascii=False, sort_keys=True)

    rendered: dict[tuple[str, bool], str] = {}  # one rendering per distinct fund split
    out = []
    for key in zip(funds.tolist(), cancelled.tolist(), strict=True):
        if key not in rendered:
            rendered[key] = render(*key)
        out.append(rendered[key])
    return out


def push(
    warehouse: sa.Engine, exchange: sa.Engine, county: str, region_code: str, year: int, fund_names: dict[str, str],
    *, dry_run: bool = False,
) -> dict[str, int]:
    """Send pending versions; returns how many were sent and how many the exchange already had."""
    with warehouse.connect() as conn:
        todo = pending_versions(conn, county, year)
    if todo.empty or dry_run:
        return {"pushed": 0, "already_present": 0, "pending": len(todo)}
    with exchange.connect() as conn:
        present = set()
        for chunk in storage.chunks(todo["bill_no"].tolist()):
            rows = conn.execute(
                sa.select(tax_bills.c.bill_no, tax_bills.c.version).where(tax_bills.c.bill_no.in_(chunk))
            ).all()
            present.update((r.bill_no, r.version) for r in rows)
    is_new = [(b, int(v)) not in present for b, v in zip(todo["bill_no"].tolist(), todo["version"].tolist(), strict=True)]
    send = todo[is_new]
    now = dt.datetime.now(dt.UTC)
    if len(send):
        cancelled = send["change"] == "cancelled"
        rows = pd.DataFrame(
            {
                "bill_no": send["bill_no"],
                "version": send["version"].astype("int64"),
                "change": send["change"],
                "region_code": region_code,
                "year": year,
                "id_number": send["id_number"],
                "name": send["name"],
                "category": send["category"],
                "subsidy": send["subsidy_fen"].where(~cancelled, 0).map(fen_to_yuan),
                "personal": send["personal_fen"].map(fen_to_yuan),
                "funds": _funds_for_tax(send["funds"], cancelled, fund_names),
                "pushed_at": now,
            }
        )
        with exchange.begin() as conn:
            storage.insert_frame(conn, tax_bills, rows)
    with warehouse.begin() as conn:
        for chunk in storage.chunks(todo["bill_no"].tolist()):
            conn.execute(
                sa.update(bill_versions)
                .where(bill_versions.c.bill_no.in_(chunk), bill_versions.c.pushed_at.is_(None))
                .values(pushed_at=now)
            )
    return {"pushed": len(send), "already_present": len(todo) - len(send), "pending": 0}
