"""The campaign as an operator sees it every morning, per county: coverage by town against its task target
and the trend, bills awaiting approval and what went to tax, the latest rejections per department, and
how fresh each department's feed is.

Read from the warehouse and the staging folder only (never written); the Airflow UI plugin
(``plugins/yibao_campaign.py``) renders it with :func:`yibao.outputs.campaign.render`. It carries aggregates
and the approval summaries' masked IDs, never a full ID number or name.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from yibao import pipeline, policy, storage
from yibao.settings import Settings
from yibao.sources import load_sources
from yibao.storage import bill_versions, bills, coverage_daily, feed_loads, push_batches, rejections

BATCH_STATUS = {"pending": "待审批", "approved": "已批准", "auto_approved": "自动批准", "rejected": "已驳回",
                "reoffered": "已重新提交", "replaced": "已被替代", "pushed": "已推送"}
FRESHNESS = {"on_time": "按时", "late": "逾期未报", "missing": "无可用数据", "unscheduled": "无报送时限"}
LOAD_STATUS = {"ok": "成功", "failed": "失败", "no_drop": "无新数据"}
SHOWN = 3  # of each kind of note, the first few items (the feed's JSON summary and feedback hold them all)


@dataclass(frozen=True)
class CountyView:
    county: str  # rules id
    name: str  # 闻喜县
    year: int
    window: tuple[dt.date, dt.date]
    as_of: dt.date | None  # the latest coverage snapshot (None: no run has computed coverage yet)
    towns: list[dict]  # town, task_population, should_insure, paid, gap, rate, task_rate
    trend: list[dict]  # as_of, should_insure, paid, rate (the whole county per snapshot date)
    batches: list[dict]  # latest first: batch_id, status, status_label, bills, moved_yuan, decided_by, …, largest
    pushed: dict  # versions sent to tax: total, and on the latest day anything was sent
    rejections: list[dict]  # department, feed, stage, rows, reasons (top reason texts with counts)
    feeds: list[dict]  # department, title, last load status/time/rows/notes, freshness state/message


def county_view(settings: Settings, now: dt.datetime | None = None) -> CountyView:
    rules = policy.load(settings.county)
    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        have = present.issuperset({t.name for t in (coverage_daily, push_batches, rejections, feed_loads, bills)})
        as_of, towns, trend = _coverage(conn, settings.county) if have else (None, [], [])
        batches = _batches(conn, settings.county) if have else []
        pushed = _pushed(conn, settings.county) if have else {"total": 0, "day": None, "on_day": 0}
        rejected = _rejections(conn, settings.county) if have else []
        loads = _latest_loads(conn, settings.county) if have else {}
    feeds = []
    for feed, source in load_sources().items():
        fresh = pipeline.feed_freshness(settings, feed, now)
        load = loads.get(feed, {})
        feeds.append({"feed": feed, "department": source.department, "title": source.title,
                      "status": LOAD_STATUS.get(load.get("status"), "未导入"), "failed": load.get("status") == "failed",
                      "loaded_at": load.get("loaded_at"), "rows_read": load.get("rows_read"),
                      "rows_rejected": load.get("rows_rejected"), "notes": load.get("notes", []),
                      "due": fresh["due"] or "—",
                      "state": fresh["state"], "state_label": FRESHNESS[fresh["state"]], "age_days": fresh["age_days"],
                      "message": fresh["message"]})
    return CountyView(settings.county, rules.jurisdiction.name, rules.year, rules.collection_window, as_of, towns,
                      trend, batches, pushed, rejected, feeds)


def _share(part: int, whole: int | None) -> float | None:
    return part / whole if whole else None


def _coverage(conn: sa.Connection, county: str) -> tuple[dt.date | None, list[dict], list[dict]]:
    c = coverage_daily.c
    rows = conn.execute(sa.select(c.as_of, c.town, c.task_population, c.should_insure, c.paid, c.gap)
                        .where(c.county == county).order_by(c.as_of, c.town)).mappings().all()
    if not rows:
        return None, [], []
    days: dict[dt.date, dict] = {}
    for row in rows:
        day = days.setdefault(row["as_of"], {"as_of": row["as_of"], "should_insure": 0, "paid": 0})
        day["should_insure"] += row["should_insure"]
        day["paid"] += row["paid"]
    trend = [{**d, "rate": _share(d["paid"], d["should_insure"])} for d in days.values()]
    latest = max(days)
    towns = [{"town": r["town"], "task_population": r["task_population"], "should_insure": r["should_insure"],
              "paid": r["paid"], "gap": r["gap"], "rate": _share(r["paid"], r["should_insure"]),
              "task_rate": _share(r["paid"], r["task_population"])}
             for r in rows if r["as_of"] == latest]
    return latest, towns, trend


def _batches(conn: sa.Connection, county: str, limit: int = 8) -> list[dict]:
    b = push_batches.c
    rows = conn.execute(sa.select(b.batch_id, b.status, b.bills, b.moved_fen, b.created_at, b.decided_by,
                                  b.decided_at, b.summary)
                        .where(b.county == county).order_by(b.created_at.desc()).limit(limit)).mappings().all()
    batches = []
    for row in rows:
        summary = json.loads(row["summary"])
        batches.append({
            "batch_id": row["batch_id"], "status": row["status"], "status_label": BATCH_STATUS.get(row["status"], row["status"]),
            "bills": row["bills"], "moved_fen": row["moved_fen"], "created_at": row["created_at"],
            "decided_by": row["decided_by"] or "", "decided_at": row["decided_at"],
            "counts": summary.get("counts", {}), "largest": summary.get("largest", [])[:5],
        })
    return batches


def _pushed(conn: sa.Connection, county: str) -> dict:
    v = bill_versions.c
    sent = sa.select(v.pushed_at).join(bills, bills.c.bill_no == v.bill_no).where(
        bills.c.county == county, v.pushed_at.is_not(None)).subquery()
    total, last = conn.execute(sa.select(sa.func.count(), sa.func.max(sent.c.pushed_at))).one()
    if last is None:
        return {"total": 0, "day": None, "on_day": 0}
    last = last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))
    start = last.replace(hour=0, minute=0, second=0, microsecond=0)
    on_day = conn.execute(sa.select(sa.func.count()).where(sent.c.pushed_at >= start)).scalar_one()
    return {"total": int(total), "day": start.date(), "on_day": int(on_day)}


def _rejections(conn: sa.Connection, county: str) -> list[dict]:
    r = rejections.c
    rows = conn.execute(sa.select(r.feed, r.stage, r.reason_text, sa.func.count().label("rows"))
                        .where(r.county == county).group_by(r.feed, r.stage, r.reason_text)).mappings().all()
    sources = load_sources()
    grouped: dict[tuple[str, str], dict] = {}
    for row in rows:
        source = sources.get(row["feed"])
        entry = grouped.setdefault((row["feed"], row["stage"]), {
            "feed": row["feed"], "stage": row["stage"], "rows": 0, "reasons": [],
            "department": f"{source.department}·{source.title}" if source else row["feed"]})
        entry["rows"] += row["rows"]
        entry["reasons"].append((row["reason_text"], row["rows"]))
    for entry in grouped.values():
        entry["reasons"] = sorted(entry["reasons"], key=lambda pair: -pair[1])[:3]
    return sorted(grouped.values(), key=lambda e: -e["rows"])


def _latest_loads(conn: sa.Connection, county: str) -> dict[str, dict]:
    """Each feed's latest load, with :func:`load_notes` from it and from the files its run saw."""
    f = feed_loads.c
    latest = sa.select(f.feed, sa.func.max(f.id).label("id")).where(f.county == county).group_by(f.feed).subquery()
    rows = conn.execute(sa.select(f.feed, f.run_id, f.status, f.loaded_at, f.rows_read, f.rows_rejected, f.error,
                                  f.notes).join(latest, latest.c.id == f.id)).mappings().all()
    ff = storage.feed_files.c
    files: dict[tuple[str, str], list[dict]] = {}
    for file in conn.execute(sa.select(ff.feed, ff.run_id, ff.file, ff.role, ff.reason).where(
            ff.county == county, ff.role != "used", ff.run_id.in_({row["run_id"] for row in rows})).order_by(ff.id)).mappings():
        files.setdefault((file["feed"], file["run_id"]), []).append(dict(file))
    return {row["feed"]: {**row, "notes": load_notes(row, files.get((row["feed"], row["run_id"]), []))}
            for row in rows}


def load_notes(load: dict, files: list[dict]) -> list[str]:
    """What an operator should know of a load beyond its counts, in Chinese: why it failed, the older drops
    it did not read, the files it refused, the sheets and the non-person rows (标题、表头、合计、表尾) it passed over.

    >>> load_notes({"status": "ok", "error": None, "notes": '{"rows_passed_over": ["a.xlsx：第9行（合计）"]}'},
    ...            [{"file": "旧.xlsx", "role": "superseded", "reason": None}])
    ['旧版未读取 1 个：旧.xlsx', '非人员行 1 行（标题、表头、合计或表尾）：a.xlsx 第9行（合计）']
    """
    def listed(items: list[str], unit: str = "项") -> str:
        return "、".join(items[:SHOWN]) + (f" 等 {len(items)} {unit}" if len(items) > SHOWN else "")

    notes = [load["error"]] if load["status"] == "failed" and load["error"] else []
    superseded = [f["file"] for f in files if f["role"] == "superseded"]
    refused = [f"{f['file']}（{f['reason']}）" for f in files if f["role"] == "refused"]
    read = json.loads(load["notes"]) if load["notes"] else {}
    for label, items in (("旧版未读取 {n} 个", superseded), ("拒收文件 {n} 个", refused),
                         ("未读取的工作表 {n} 个", read.get("sheets_skipped", []))):
        if items:
            notes.append(f"{label.format(n=len(items))}：{listed(items)}")
    passed: dict[str, list[str]] = {}  # file → rows (``残联/名单.csv：第31行（合计）``)
    for item in read.get("rows_passed_over", []):
        file, row = item.rsplit("：", 1)
        passed.setdefault(file, []).append(row)
    if passed:
        notes.append(f"非人员行 {sum(map(len, passed.values()))} 行（标题、表头、合计或表尾）："
                     + "；".join(f"{file} {listed(rows, '行')}" for file, rows in passed.items()))
    return notes
