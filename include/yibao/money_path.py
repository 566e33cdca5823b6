"""The money path's stages: a batch offered for approval, the push of an approved batch to tax, and
tax's answers read back, and the fund totals finance transfers.

Like :mod:`yibao.pipeline`, each stage is a plain function of :class:`Settings` run under the county lock,
returning counts only; the DAG tasks and ``yibao pipeline run`` call these same functions.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import sqlalchemy as sa

from yibao import approval, fund_totals, storage, tax_answers, tax_exchange
from yibao import policy as policy_mod
from yibao.errors import UserError
from yibao.money import yuan
from yibao.outputs import outbox
from yibao.run_lock import locked_stage
from yibao.settings import Settings
from yibao.tax_drop import FileDrop

CLI_APPROVER = "命令行运行自动批准 (yibao pipeline run)"
FUND_TOTALS_FILE = "资金拨付申请.xlsx"


def _batch_counts(batch) -> dict:
    if batch is None:
        return {"batch_id": None, "bills": 0, "status": "nothing_pending"}
    counts = json.loads(batch.summary)["counts"]
    return {"batch_id": batch.batch_id, "bills": batch.bills, "status": batch.status,
            "decided_by": batch.decided_by, **counts}


@locked_stage
def prepare_batch(settings: Settings, *, run_id: str, pending: pd.DataFrame | None = None) -> dict:
    """Offer what is pending as a batch (auto-approved when small enough); nothing pending, no batch.
    ``pending`` is :func:`tax_exchange.pending_versions` when the caller has just read it under the lock."""
    policy = policy_mod.load(settings.county)
    with storage.engine(settings.warehouse_url).begin() as conn:
        batch = approval.propose(conn, settings.county, policy.year, dict(policy.funds), run_id,
                                 auto_max_bills=settings.auto_approve_max_bills,
                                 auto_max_yuan=settings.auto_approve_max_yuan, pending=pending)
    return _batch_counts(batch)


def review(settings: Settings, batch_id: str) -> tuple[str, str]:
    """Subject and Markdown body of a batch's approval page."""
    with storage.engine(settings.warehouse_url).connect() as conn:
        batch = conn.execute(storage.push_batches.select().where(storage.push_batches.c.batch_id == batch_id)).one()
    return (f"审批特殊缴费单据批次：{batch.bills:,} 张待推送税务 (approve bills for tax)", approval.review_markdown(batch))


def batch_status(settings: Settings, batch_id: str) -> str:
    with storage.engine(settings.warehouse_url).connect() as conn:
        return conn.execute(storage.push_batches.select().where(
            storage.push_batches.c.batch_id == batch_id)).one().status


@locked_stage
def decide_batch(settings: Settings, batch_id: str, *, approve: bool, by: str) -> str:
    with storage.engine(settings.warehouse_url).begin() as conn:
        return approval.decide(conn, batch_id, approve=approve, by=by)


@locked_stage
def push_to_tax(settings: Settings, *, dry_run: bool = False, pending: pd.DataFrame | None = None) -> dict:
    """Send the approved batch's bill versions to the tax exchange (nothing when nothing is pending).

    Refuses when what is pending is not exactly an approved batch. An unreachable exchange raises
    :class:`tax_exchange.ExchangeUnavailable` (税务前置库无法连接) and leaves every version pending.
    ``pending`` as for :func:`prepare_batch`.
    """
    policy = policy_mod.load(settings.county)
    warehouse = storage.engine(settings.warehouse_url)
    with warehouse.connect() as conn:
        if pending is None:
            pending = tax_exchange.pending_versions(conn, settings.county, policy.year)
        fp = tax_exchange.fingerprint(pending) if len(pending) else ""
        batch = approval.approved_for(conn, settings.county, policy.year, fp) if len(pending) else None
    if dry_run or pending.empty:
        return {"pushed": 0, "pending": len(pending)}
    if batch is None:
        raise UserError(f"有 {len(pending)} 张单据待推送，但没有与之一致的已审批批次；请先审批（yibao_tax_push 的 approve 任务）")
    exchange = tax_exchange.connect_exchange(settings.tax_exchange_url)
    done = tax_exchange.push(warehouse, exchange, settings.county, policy.jurisdiction.region_code, policy.year,
                             dict(policy.funds), exchange_url=settings.tax_exchange_url, expected=fp, todo=pending)
    with warehouse.begin() as conn:
        approval.mark_pushed(conn, batch.batch_id)
    return {**done, "batch_id": batch.batch_id}


@locked_stage
def approve_and_push(settings: Settings, *, run_id: str) -> tuple[dict, dict]:
    """The CLI's path, in one hold of the county lock: offer the batch, approve it as the CLI (recorded
    as such), push it. What is pending is read once: approval changes no bill version."""
    policy = policy_mod.load(settings.county)
    with storage.engine(settings.warehouse_url).connect() as conn:
        pending = tax_exchange.pending_versions(conn, settings.county, policy.year)
    batch = prepare_batch(settings, run_id=run_id, pending=pending)
    if batch["status"] == "pending":
        batch["status"] = decide_batch(settings, batch["batch_id"], approve=True, by=CLI_APPROVER)
        batch["decided_by"] = CLI_APPROVER
    try:
        pushed = push_to_tax(settings, pending=pending)
    except tax_exchange.ExchangeUnavailable as exc:  # tax down fails this stage only, not the day
        pushed = {"pushed": 0, "pending": batch["bills"], "error": str(exc)}
    return batch, pushed


@locked_stage
def read_tax_answers(settings: Settings, *, run_id: str) -> dict:
    """Read tax's acknowledgements; rejected bills become work items with the reason in Chinese."""
    policy = policy_mod.load(settings.county)
    exchange = tax_exchange.connect_exchange(settings.tax_exchange_url)
    try:
        if isinstance(exchange, FileDrop):
            acks = exchange.acks(policy.jurisdiction.region_code, policy.year)
        else:
            with exchange.connect() as conn:
                acks = tax_answers.read(conn, policy.jurisdiction.region_code, policy.year)
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise tax_exchange.unavailable(settings.tax_exchange_url, exc) from None
    with storage.engine(settings.warehouse_url).begin() as conn:
        return tax_answers.record(conn, acks, settings.county, policy.year, run_id)


def tax_answers_or_outage(settings: Settings, *, run_id: str) -> dict:
    """The CLI's path: an unreachable exchange is reported in the summary, the day goes on."""
    try:
        return read_tax_answers(settings, run_id=run_id)
    except tax_exchange.ExchangeUnavailable as exc:
        return {"acks": 0, "error": str(exc)}


@locked_stage
def write_fund_totals(settings: Settings, *, as_of: dt.date, run_id: str) -> dict:
    """The finance transfer request (资金拨付申请.xlsx) in the day's outbox; totals per fund as yuan strings."""
    policy = policy_mod.load(settings.county)
    b = storage.bills
    alike = (b.c.town, b.c.category, b.c.basis, b.c.status, b.c.funds)
    with storage.engine(settings.warehouse_url).connect() as conn:  # bills alike counted by the database
        held = storage.read_frame(conn, sa.select(*alike, sa.func.count().label("bills"),
                                                  sa.func.sum(b.c.subsidy_fen).label("subsidy_fen"))
                                  .where(b.c.county == settings.county, b.c.year == policy.year).group_by(*alike),
                                  ints=("bills", "subsidy_fen"))
    lines = fund_totals.fund_lines(held, dict(policy.funds))
    path = outbox.day_dir(settings, as_of) / FUND_TOTALS_FILE
    fund_totals.write_transfer_request(
        path, lines, held, title=f"{policy.jurisdiction.name}{policy.year}年度城乡居民医保参保资助资金拨付申请", as_of=as_of)
    funds = {name: yuan(fen) for name, fen in fund_totals.totals(lines, dict(policy.funds)).items()}
    return {"path": str(path), "funds": funds, "lines": len(lines)}
