"""Approval before money leaves: the pending bill versions are offered as one batch, and only an approved
batch is pushed to tax.

A batch is identified by the fingerprint of exactly which bill versions it holds
(:func:`yibao.tax_exchange.fingerprint`); if anything changes after approval the push refuses and the next
run offers a new batch. A rejected batch is held, not lost: its versions stay pending and the next run
offers them again, saying what changed since the rejection. Auto-approval (small batches, see
``Settings.auto_approve_*``) and the CLI's approval are recorded as such in ``decided_by``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from yibao import storage, tax_exchange
from yibao.errors import UserError
from yibao.masking import mask_id_series, mask_name
from yibao.money import to_fen, yuan_grouped
from yibao.storage import bill_versions, bills, push_batches

APPROVED = ("approved", "auto_approved")
LARGEST = 10
CHANGE_LABELS = {"new": "新增", "amended": "变更", "cancelled": "作废"}


def _tax_had(conn: sa.Connection, county: str, year: int) -> pd.DataFrame:
    """Subsidy of the latest version tax holds, for every bill with a pending version. A bill still at
    version 1 has no earlier version tax could hold, so only later versions are looked up (on a first
    day's 52k new bills that skips 52k index probes)."""
    pushed = storage.read_frame(conn, (
        sa.select(bill_versions.c.bill_no, bill_versions.c.version, bill_versions.c.subsidy_fen)
        .join(bills, bills.c.bill_no == bill_versions.c.bill_no)
        .where(bills.c.county == county, bills.c.year == year, bills.c.version > 1,
               bill_versions.c.pushed_at.is_not(None), bill_versions.c.bill_no.in_(storage.open_versions()))
    ), ints=("version", "subsidy_fen"))
    if pushed.empty:
        return pd.DataFrame({"bill_no": pd.Series(dtype="str"), "before_fen": pd.Series(dtype="int64")})
    latest = pushed.sort_values("version").drop_duplicates("bill_no", keep="last")
    return latest.rename(columns={"subsidy_fen": "before_fen"})[["bill_no", "before_fen"]]


def summarize(pending: pd.DataFrame, had: pd.DataFrame, fund_names: dict[str, str]) -> dict:
    """What a reviewer needs: counts by change, totals by fund and by town, the largest changes (masked)."""
    frame = pending.merge(had, on="bill_no", how="left")
    known = frame["before_fen"].notna()
    frame["before_fen"] = frame["before_fen"].fillna(0).astype("int64")
    frame["after_fen"] = frame["subsidy_fen"].where(frame["status"] != "cancelled", 0).astype("int64")
    frame["delta_fen"] = frame["after_fen"] - frame["before_fen"]
    frame["change"] = "new"
    frame.loc[known, "change"] = "amended"
    frame.loc[frame["status"] == "cancelled", "change"] = "cancelled"
    funds: dict[str, int] = {}
    for text, count in frame.loc[frame["status"] != "cancelled", "funds"].value_counts().items():
        for fund, fen in json.loads(text).items():
            funds[fund_names.get(fund, fund)] = funds.get(fund_names.get(fund, fund), 0) + int(fen) * int(count)
    towns = frame.groupby("town", sort=True).agg(bills=("bill_no", "size"), after_fen=("after_fen", "sum"),
                                                 delta_fen=("delta_fen", "sum")).reset_index()
    top = frame.assign(size=frame["delta_fen"].abs()).nlargest(LARGEST, "size")
    return {
        "counts": {k: int((frame["change"] == k).sum()) for k in CHANGE_LABELS},
        "funds": funds,
        "towns": [{k: (int(v) if k != "town" else str(v)) for k, v in row.items()} for row in towns.to_dict("records")],
        "largest": [
            {"id": i, "name": mask_name(n), "town": t, "change": c, "before_fen": int(b), "after_fen": int(a)}
            for i, n, t, c, b, a in zip(mask_id_series(top["id_number"]).tolist(), top["name"].tolist(),
                                        top["town"].tolist(), top["change"].tolist(), top["before_fen"].tolist(),
                                        top["after_fen"].tolist(), strict=True)
        ],
        "moved_fen": int(frame["delta_fen"].abs().sum()),
    }


def _since(conn: sa.Connection, county: str, year: int, rejected: sa.Row) -> dict[str, int]:
    """Bill versions created after a rejection, by change: what a reviewer sees on the re-offer."""
    rows = conn.execute(
        sa.select(bill_versions.c.change, sa.func.count())
        .join(bills, bills.c.bill_no == bill_versions.c.bill_no)
        .where(bills.c.county == county, bills.c.year == year, bill_versions.c.created_at > rejected.decided_at)
        .group_by(bill_versions.c.change)
    ).all()
    return {k: int(dict(rows).get(k, 0)) for k in CHANGE_LABELS}


def propose(conn: sa.Connection, county: str, year: int, fund_names: dict[str, str], run_id: str, *,
            auto_max_bills: int = 0, auto_max_yuan: str = "0", pending: pd.DataFrame | None = None) -> sa.Row | None:
    """The batch for what is pending now (None when nothing is: approval then costs nothing); ``pending``
    is :func:`tax_exchange.pending_versions` when the caller has just read it.

    The same pending set keeps its batch (and its decision) unless that batch was rejected: then a new
    batch re-offers it, linked to the rejection and saying what changed since.
    """
    pending = tax_exchange.pending_versions(conn, county, year) if pending is None else pending
    if pending.empty:
        return None
    fp = tax_exchange.fingerprint(pending)
    same = conn.execute(sa.select(push_batches).where(
        push_batches.c.county == county, push_batches.c.year == year, push_batches.c.fingerprint == fp,
        push_batches.c.status.in_(("pending", *APPROVED)))).first()
    if same is not None:
        return same
    summary = summarize(pending, _tax_had(conn, county, year), fund_names)
    rejected = conn.execute(sa.select(push_batches).where(
        push_batches.c.county == county, push_batches.c.year == year, push_batches.c.status == "rejected")
        .order_by(push_batches.c.decided_at.desc()).limit(1)).first()
    if rejected is not None:
        summary["since_rejected"] = {"batch_id": rejected.batch_id, "bills_then": rejected.bills,
                                     **_since(conn, county, year, rejected)}
    now = dt.datetime.now(dt.UTC)
    auto = len(pending) <= auto_max_bills and summary["moved_fen"] <= to_fen(Decimal(auto_max_yuan))
    row = {
        "batch_id": f"{county}-{now:%Y%m%dT%H%M%S%f}-{fp[:8]}", "county": county, "year": year, "fingerprint": fp,
        "run_id": run_id, "created_at": now, "bills": len(pending), "moved_fen": summary["moved_fen"],
        "status": "auto_approved" if auto else "pending",
        "previous_batch": rejected.batch_id if rejected is not None else None,
        "decided_by": f"自动批准（不超过 {auto_max_bills} 张且变动不超过 {auto_max_yuan} 元）" if auto else None,
        "decided_at": now if auto else None,
        "summary": json.dumps(summary, ensure_ascii=False),
    }
    conn.execute(sa.update(push_batches).where(  # approval was for another set: it lapses
        push_batches.c.county == county, push_batches.c.year == year,
        push_batches.c.status.in_(("pending", *APPROVED))).values(status="replaced"))
    conn.execute(sa.insert(push_batches).values(row))
    if rejected is not None:  # the rejection has been re-offered: it no longer counts as the open one
        conn.execute(sa.update(push_batches).where(push_batches.c.batch_id == rejected.batch_id)
                     .values(status="reoffered"))
    return conn.execute(sa.select(push_batches).where(push_batches.c.batch_id == row["batch_id"])).one()


def decide(conn: sa.Connection, batch_id: str, *, approve: bool, by: str) -> str:
    """Record a person's (or the CLI's) decision on a pending batch; returns the new status."""
    batch = conn.execute(sa.select(push_batches).where(push_batches.c.batch_id == batch_id)).first()
    if batch is None:
        raise UserError(f"审批批次不存在：{batch_id}")
    if batch.status != "pending":
        return batch.status
    status = "approved" if approve else "rejected"
    conn.execute(sa.update(push_batches).where(push_batches.c.batch_id == batch_id).values(
        status=status, decided_by=by, decided_at=dt.datetime.now(dt.UTC)))
    return status


def approved_for(conn: sa.Connection, county: str, year: int, fp: str) -> sa.Row | None:
    """The approved batch holding exactly this pending set, if any."""
    return conn.execute(sa.select(push_batches).where(
        push_batches.c.county == county, push_batches.c.year == year, push_batches.c.fingerprint == fp,
        push_batches.c.status.in_(APPROVED))).first()


def mark_pushed(conn: sa.Connection, batch_id: str) -> None:
    conn.execute(sa.update(push_batches).where(push_batches.c.batch_id == batch_id).values(status="pushed"))


def review_markdown(batch: sa.Row) -> str:
    """The reviewer's page (Chinese, Markdown): counts, totals by fund and town, largest changes."""
    s = json.loads(batch.summary)
    c = s["counts"]
    lines = [(f"**批次** `{batch.batch_id}` · 共 **{batch.bills:,}** 张：新增 {c['new']:,}，变更 {c['amended']:,}，"
              f"作废 {c['cancelled']:,}；资助金额变动合计（绝对值）{yuan_grouped(batch.moved_fen)} 元。")]
    if s.get("since_rejected"):
        r = s["since_rejected"]
        lines.append(f"\n> 上次驳回的批次 `{r['batch_id']}`（{r['bills_then']:,} 张）再次提交；驳回后新产生的单据版本："
                     f"新增 {r['new']:,}，变更 {r['amended']:,}，作废 {r['cancelled']:,}。")
    lines += ["\n#### 按资金来源 (by fund)", "| 资金 | 本批金额（元） |", "|---|---:|"]
    lines += [f"| {fund} | {yuan_grouped(fen)} |" for fund, fen in s["funds"].items()]
    lines += ["\n#### 按乡镇 (by town)", "| 乡镇 | 张数 | 本批金额（元） | 变动（元） |", "|---|---:|---:|---:|"]
    lines += [f"| {t['town']} | {t['bills']:,} | {yuan_grouped(t['after_fen'])} | {yuan_grouped(t['delta_fen'])} |"
              for t in s["towns"]]
    lines += ["\n#### 变动最大的单据 (largest changes)", "| 身份证号 | 姓名 | 乡镇 | 变动 | 原金额 | 新金额 |",
              "|---|---|---|---|---:|---:|"]
    lines += [f"| {x['id']} | {x['name']} | {x['town']} | {CHANGE_LABELS[x['change']]} | "
              f"{yuan_grouped(x['before_fen'])} | {yuan_grouped(x['after_fen'])} |" for x in s["largest"]]
    lines.append("\n批准后推送至税务前置库；驳回则本批暂缓（不会丢失），下次运行连同新变化再次提交审批。")
    return "\n".join(lines)
