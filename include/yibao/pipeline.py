"""The pipeline's stages as plain functions: the DAG tasks and ``yibao pipeline run`` call the same ones.

Stages hand data to each other as published Arrow IPC files under ``Settings.staging`` and as warehouse
tables; each stage returns only counts (safe for XCom: no personal data).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import traceback
import zoneinfo
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from yibao import (
    adjustments,
    coverage,
    db_pull,
    freshness,
    ids,
    money_path,
    quality,
    run_date,
    run_lock,
    stage_graph,
    storage,
)
from yibao import bills as bills_mod
from yibao import policy as policy_mod
from yibao import reconcile as reconcile_mod
from yibao.attributes import per_person
from yibao.errors import UserError
from yibao.identities import build_identities
from yibao.landing import Landing, drop_bytes, find_drops, land
from yibao.masking import mask_id_series, mask_name
from yibao.outputs import feedback
from yibao.readers import FeedError, read_feed
from yibao.run_lock import county_lock, locked_stage
from yibao.settings import Settings
from yibao.sources import load_sources
from yibao.stages import correction
from yibao.stages.coverage import compute_coverage, write_outputs
from yibao.stages.files import feed_path as _feed_path
from yibao.stages.files import published_feeds as _published_feeds
from yibao.stages.files import rejections_path as _rejections_path
from yibao.stages.files import stage_path as _stage_path
from yibao.staging import stage

log = logging.getLogger(__name__)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
INGEST_THREADS = 2
LARGE_DROP = 16 * 2**20  # bytes: a drop this large is read while no other large one is (the day's peak memory)
DECISION_INPUTS = ["key", "birth_date", "should_insure", "household_id", "residence_permit"]
BILL_IDENTITY = ["key", "id_number", "name", "town"]  # who a bill is for, from persons
STAGE_THREADS = 2
# Each stage after the ingest, with the stages it waits for: those whose tables it reads, and for the work
# nobody waits on (reconciliation, the finance request) also the push and coverage, so that the money path
# and coverage (run side by side) are done first. The departments' feedback needs only the rejections: it
# runs beside the decisions, which would otherwise leave a core idle.
STAGES_AFTER = {
    "identities": (), "decisions": ("identities",),
    "bills": ("decisions",), "tax_push": ("bills",), "tax_answers": ("tax_push",),
    "coverage": ("decisions",), "outputs": ("coverage",),
    "feedback": ("identities",), "reconciliation": ("tax_push", "coverage"),
    "fund_totals": ("tax_push", "coverage"),
}
# A correction's stages are short: feedback beside them would take the interpreter from the corrected
# people's push and coverage (the departments' workbooks are Python-heavy), so there it waits for both.
CORRECTION_AFTER = {**STAGES_AFTER, "feedback": ("tax_push", "coverage")}
IDENTITY_KINDS = {"register", "residence", "roster", "roster_changes", "employee_insured", "insured_elsewhere"}


def today() -> dt.date:
    """The campaign runs on Beijing time whatever the server's clock says."""
    return dt.datetime.now(SHANGHAI).date()


def init(settings: Settings) -> None:
    """Create the warehouse tables and the data folders (idempotent), and clear what killed runs left
    aside in them (never in the inbox: that is the departments'); the tax exchange is left to the push."""
    storage.init_db(storage.engine(settings.warehouse_url))
    for folder in (settings.inbox, settings.landing, settings.staging):
        folder.mkdir(parents=True, exist_ok=True)
    if removed := storage.sweep_leftovers([settings.landing, settings.staging, settings.outbox]):
        log.info("清理了 %d 个中断运行遗留的临时文件 (removed files left by killed runs)", removed)


def _record_rejections(conn: sa.Connection, settings: Settings, run_id: str, stage_name: str, feed: str,
                       rejected: pd.DataFrame) -> None:
    """Replace this feed's rejections for one stage; only masked IDs go to the warehouse."""
    table = storage.rejections
    conn.execute(sa.delete(table).where(table.c.county == settings.county, table.c.feed == feed,
                                        table.c.stage == stage_name))
    if rejected.empty:
        return
    records = pd.DataFrame(
        {
            "run_id": run_id,
            "county": settings.county,
            "stage": stage_name,
            "feed": feed,
            "file": rejected["_file"].astype("str"),
            "row_no": rejected["_row"].astype("int64"),
            "id_masked": mask_id_series(rejected["id_number"].astype("str")),
            "town": rejected["town"].astype("str") if "town" in rejected else "",
            "reason_codes": rejected["reason_codes"],
            "reason_text": rejected["reason_text"],
        }
    )
    storage.insert_frame(conn, table, records)


def _record_files(conn: sa.Connection, settings: Settings, run_id: str, feed: str, landing: Landing) -> None:
    rows = [{"file": f.original, "role": role, "sha256": f.sha256, "size": f.size, "arrived_at": f.arrived}
            for role, files in (("used", landing.used), ("superseded", landing.superseded)) for f in files]
    rows += [{"file": r.original, "role": "refused", "reason": r.reason} for r in landing.refused]
    if rows:
        conn.execute(sa.insert(storage.feed_files),
                     [{"sha256": None, "size": None, "arrived_at": None, "reason": None, **r,
                       "run_id": run_id, "county": settings.county, "feed": feed} for r in rows])


@locked_stage
def ingest_feed(settings: Settings, feed: str, *, as_of: dt.date, run_id: str, db_url: str | None = None) -> dict:
    """Land, read, gate, stage and publish one department feed.

    A feed with no drop keeps what it published before. A broken drop (or a symlink or a path outside
    the inbox where its drops are) raises :class:`FeedError` after recording the failure, so only this
    feed fails. Superseded and refused files are listed in the result and in ``feed_files``, and the sheets
    of a workbook that were not read (hidden, or without the template's header) in ``sheets_skipped``, and the
    rows that are the roster's own furniture (a repeated header, 合计/小计, 填表人…), not people, in
    ``rows_passed_over``. A feed of
    format ``sql`` is pulled from ``db_url`` (the DAG passes its Airflow connection; the CLI leaves it to
    ``YIBAO_CONN_<ID>``) into a landed snapshot and then read like a file.
    """
    source = load_sources()[feed]
    policy = policy_mod.load(settings.county)
    warehouse = storage.engine(settings.warehouse_url)
    load_row = {"run_id": run_id, "county": settings.county, "feed": feed, "loaded_at": dt.datetime.now(dt.UTC)}

    def fail(message: str) -> FeedError:
        with warehouse.begin() as conn:
            conn.execute(sa.insert(storage.feed_loads),
                         {**load_row, "files": len(landed), "sha256": ",".join(f.sha256 for f in landed),
                          "rows_read": 0, "rows_rejected": 0, "status": "failed", "error": message})
        return FeedError(message)

    landed: list = []
    try:
        landing = (db_pull.pull(source, db_url, settings.landing) if source.format == "sql"
                   else land(settings.inbox, source, settings.landing))
    except FeedError as exc:
        raise fail(f"{source.department}{source.title}：{exc}") from None
    landed = landing.used
    with warehouse.begin() as conn:
        _record_files(conn, settings, run_id, feed, landing)
    result = {"feed": feed, "files": len(landed), "rows_read": 0, "rows_staged": 0, "rows_rejected": 0,
              "superseded": [f.original for f in landing.superseded],
              "refused": [{"file": r.original, "reason": r.reason} for r in landing.refused], "sheets_skipped": [],
              "rows_passed_over": []}
    fatal = [f"{r.original}：{r.reason}" for r in landing.refused if r.fatal]
    if fatal:
        raise fail(f"{source.department}{source.title}：收件箱中有不安全的文件，本数据源未导入（" + "；".join(fatal) + "）")
    if not landed:
        return {**result, "status": "no_drop"}
    load_row.update(files=len(landed), sha256=",".join(f.sha256 for f in landed))
    try:
        frame = read_feed([(f.path, f.original) for f in landed], source)
        feedback.keep_received(settings, source, frame)
        quality.gate(frame, source)
        staged = stage(frame, source, as_of=as_of, home_region=policy.jurisdiction.region_code,
                       resolve_labels=partial(policy_mod.resolve_labels, policy),
                       label_attributes=partial(policy_mod.label_attributes, policy),
                       campaign_start=policy.collection_window[0])
    except FeedError as exc:
        raise fail(str(exc)) from None
    except (ValueError, KeyError, TypeError, IndexError, ArithmeticError, OSError) as exc:  # data, not the run
        frames = traceback.extract_tb(exc.__traceback__)[-3:]  # where, never the message (it may quote cells)
        log.error("%s%s：读取或校验时出现未预料的错误 %s，位置 %s", source.department, source.title,
                  type(exc).__name__, " ← ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)))
        raise fail(f"{source.department}{source.title}：读取或校验时出现未预料的错误（{type(exc).__name__}），"
                   "请联系数据中心") from None
    if staged.rows.empty and len(frame) and _has_rows(_feed_path(settings, feed)):
        top = staged.rejected["reason_text"].value_counts().index[0] if len(staged.rejected) else ""
        raise fail(f"{source.department}{source.title}：{len(frame)} 行全部未通过校验（{top}），"
                   "保留上次入库的数据；请核对文件或统计日期")
    storage.publish_frame(staged.rows, _feed_path(settings, feed))
    freshness.write_snapshot_meta(_feed_path(settings, feed), max(f.arrived for f in landed),
                                  [f.original for f in landed], run_id, sha256=[f.sha256 for f in landed])
    storage.publish_frame(staged.rejected, _rejections_path(settings, feed))
    result.update(rows_read=len(frame), sheets_skipped=frame.attrs.get("skipped_sheets", []),
                  rows_passed_over=frame.attrs.get("rows_passed_over", []), **staged.counts)
    if result["sheets_skipped"]:  # named, never read: a sheet of notes, a drop-down list, a hidden old roster
        log.warning("%s%s：以下工作表没有规定表头或已隐藏，未读取：%s", source.department, source.title,
                    "；".join(result["sheets_skipped"]))
    if result["rows_passed_over"]:  # where, never what: a footer names the clerk who filled the roster in
        log.info("%s%s：以下行是表格本身的标题、表头、合计或表尾，不是人员，未读取：%s", source.department, source.title,
                 "；".join(result["rows_passed_over"]))
    with warehouse.begin() as conn:
        _record_rejections(conn, settings, run_id, "staging", feed, staged.rejected)
        conn.execute(sa.insert(storage.feed_loads),
                     {**load_row, "rows_read": len(frame), "rows_rejected": len(staged.rejected), "status": "ok",
                      "notes": _load_notes(result)})
    log.info("%s%s：文件 %d 个（另有旧版 %d 个、拒收 %d 个），读取 %d 行，入库 %d 行，退回 %d 行", source.department,
             source.title, len(landed), len(landing.superseded), len(landing.refused), len(frame), len(staged.rows),
             len(staged.rejected))
    return {**result, "status": "ok"}


def _load_notes(result: dict) -> str | None:
    """What the load read around (for the campaign page), as JSON; None when it read everything."""
    notes = {k: result[k] for k in ("sheets_skipped", "rows_passed_over") if result[k]}
    return json.dumps(notes, ensure_ascii=False) if notes else None


def _has_rows(path: Path) -> bool:
    """Does a published table exist with rows in it (a good one that an empty one must not replace)?"""
    return path.exists() and storage.staged_rows(path) > 0


def feed_freshness(settings: Settings, feed: str, now: dt.datetime | None = None) -> dict:
    """Is the snapshot downstream uses for this feed from the current period of its ``due`` schedule? An
    overdue feed's message names the files waiting in the inbox that were not taken, and why (an ``.xls``
    sent for an ``.xlsx`` roster): often the drop did arrive, in a form the feed cannot read."""
    source = load_sources()[feed]
    arrived = freshness.snapshot_arrived(_feed_path(settings, feed))
    state = freshness.assess(f"{source.department}{source.title}", source.due, arrived, now or dt.datetime.now(dt.UTC))
    if state["state"] in ("late", "missing") and source.files and settings.inbox.is_dir():
        _, refused = find_drops(settings.inbox, source)
        if refused:
            state["message"] += "；收件箱中有未导入的文件：" + "；".join(f"{r.original}（{r.reason}）" for r in refused)
    return state


def _suggest_corrections(settings: Settings, persons: pd.DataFrame, crosscheck: pd.DataFrame,
                         roster_feeds: list[str]) -> pd.DataFrame:
    """For roster rows sent back for their ID, the register ID they probably meant (one candidate only)."""
    id_problems = {code for code, reason in ids.REASONS.items() if reason.level == "error"} | {"NOT_IN_REGISTER"}
    wanted = ["id_number", "name", "town", "village", "_file", "_row", "reason_codes"]
    frames = []
    for feed in roster_feeds:
        path = _rejections_path(settings, feed)
        if path.exists():
            frames.append(storage.read_staged(path).reindex(columns=wanted).assign(feed=feed))
    if len(crosscheck):
        frames.append(crosscheck.reindex(columns=wanted).assign(feed=crosscheck["source"]))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*wanted, "feed"])
    codes = rows["reason_codes"].fillna("").str.split(",")
    rows = rows[codes.map(lambda c: bool(id_problems.intersection(c)))].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=["feed", "file", "row_no", "suggested_id"])
    written = rows[["id_number", "name", "town", "village"]].astype("str").replace({"": pd.NA, "nan": pd.NA})
    # every person, with a key only for those in the register: no filtered copy of a million rows
    keys = np.where(persons["in_register"].to_numpy(dtype=bool), persons["key"].to_numpy(), -1)
    found = ids.suggest_corrections(written, persons[["id_number", "name", "town", "village"]], keys)
    hit = found["suggested_id"].notna().to_numpy()
    return pd.DataFrame({"feed": rows.loc[hit, "feed"], "file": rows.loc[hit, "_file"],
                         "row_no": rows.loc[hit, "_row"].astype("int64"),
                         "suggested_id": found.loc[hit, "suggested_id"]}).reset_index(drop=True)


@locked_stage
def resolve_identities(settings: Settings, *, as_of: dt.date, run_id: str) -> dict:
    """Build persons and usable statuses from every published feed; cross-check rosters against the register."""
    staged, kinds = _published_feeds(settings, IDENTITY_KINDS)
    found = build_identities(staged, kinds, as_of)
    storage.publish_frame(found.persons, _stage_path(settings, "persons"))
    storage.publish_frame(found.memberships, _stage_path(settings, "memberships"))
    roster_feeds = [f for f, k in kinds.items() if k in ("roster", "roster_changes")]
    suggestions = _suggest_corrections(settings, found.persons, found.rejected, roster_feeds)
    record_crosscheck(settings, run_id, found.rejected, suggestions, roster_feeds)
    log.info("人员 %d 人（应参保 %d 人），有效身份 %d 条，比对户籍退回 %d 行", len(found.persons),
             int(found.persons["should_insure"].sum()), len(found.memberships), len(found.rejected))
    return {
        "persons": len(found.persons),
        "should_insure": int(found.persons["should_insure"].sum()),
        "memberships": len(found.memberships),
        "crosscheck_rejected": len(found.rejected),
        "id_suggestions": len(suggestions),
    }


def record_crosscheck(settings: Settings, run_id: str, rejected: pd.DataFrame, suggestions: pd.DataFrame,
                      roster_feeds: list[str]) -> None:
    """The cross-check's sent-back rows and ID suggestions: the warehouse rows of ``roster_feeds`` (masked),
    then the published tables (all feeds)."""
    warehouse = storage.engine(settings.warehouse_url)
    table = storage.rejections
    with warehouse.begin() as conn:
        for feed in roster_feeds:
            mine = rejected[rejected["source"] == feed] if len(rejected) else rejected
            _record_rejections(conn, settings, run_id, "crosscheck", feed, mine)
        mine = suggestions[suggestions["feed"].isin(roster_feeds)]
        if len(mine):
            conn.execute(
                sa.update(table)
                .where(table.c.county == settings.county, table.c.feed == sa.bindparam("b_feed"),
                       table.c.file == sa.bindparam("b_file"), table.c.row_no == sa.bindparam("b_row"))
                .values(suggested_id_masked=sa.bindparam("b_masked")),
                [{"b_feed": f, "b_file": fi, "b_row": r, "b_masked": m} for f, fi, r, m in zip(
                    mine["feed"].tolist(), mine["file"].tolist(), mine["row_no"].tolist(),
                    mask_id_series(mine["suggested_id"]).tolist(), strict=True)],
            )
    storage.publish_frame(rejected, _rejections_path(settings, "_crosscheck"))
    storage.publish_frame(suggestions, _rejections_path(settings, "_suggestions"))


def explain_membership(settings: Settings, id_number: str, on: dt.date) -> pd.DataFrame:
    """Which file, row and date made a person a member of each status on ``on`` (or not), from the
    last published rosters and adjustment lists."""
    checked = ids.check(pd.Series([id_number], dtype="str"), as_of=on)
    if not bool(checked["valid"].iloc[0]):
        raise UserError("身份证号码无效，请核对后重试")
    staged, kinds = _published_feeds(settings, {"roster", "roster_changes"})
    parts = {kind: [f for feed, f in staged.items() if kinds[feed] == kind and len(f)]
             for kind in ("roster", "roster_changes")}
    roster, changes = (pd.concat(p, ignore_index=True) if p else pd.DataFrame() for p in parts.values())
    return adjustments.explain(roster, changes, int(checked["key"].iloc[0]), on)


@locked_stage
def write_feedback(settings: Settings, *, as_of: dt.date) -> dict:
    """One feedback workbook per department with rejected rows, into the dated outbox."""
    policy = policy_mod.load(settings.county)
    written = feedback.write_feedback(settings, as_of=as_of, county_name=policy.jurisdiction.name)
    log.info("部门反馈 %d 个工作簿，共 %d 行", written["workbooks"], written["rows"])
    return written


@locked_stage
def decide_subsidies(settings: Settings, *, as_of: dt.date, run_id: str) -> dict:
    """Apply the county's policy to everyone who should be insured here."""
    policy = policy_mod.load(settings.county)
    persons = storage.read_staged_table(_stage_path(settings, "persons"), DECISION_INPUTS)
    persons = persons.filter(persons["should_insure"]).to_pandas()  # in Arrow: the text columns cost least there
    memberships = storage.read_staged(_stage_path(settings, "memberships"))
    decided = decide(policy, persons, memberships, as_of)
    storage.publish_frame(decided, _stage_path(settings, "decisions"), audit=partial(audit_decisions, policy))
    assisted = decided[decided["subsidy_fen"] > 0]
    return {"decided": len(decided), "assisted": len(assisted), "subsidy_fen": int(assisted["subsidy_fen"].sum())}


def decide(policy: policy_mod.Policy, persons: pd.DataFrame, memberships: pd.DataFrame, as_of: dt.date,
           ) -> pd.DataFrame:
    """Decisions for the should-insure ``persons`` (``DECISION_INPUTS``), in their order; a person's decision
    depends only on their own memberships and, for newborns, their household's. Who the person is stays
    in persons (:func:`with_identity`): a million names and IDs copied here cost every write of it."""
    if policy.newborn and policy.newborn.inherit_statuses:  # newborns hold their family's statuses
        inherited = policy.newborn.inherited(persons, memberships, as_of).assign(source="newborn")
        memberships = pd.concat([memberships, inherited], ignore_index=True)
    eligible = persons if persons["should_insure"].all() else persons[persons["should_insure"]]
    eligible = eligible.reset_index(drop=True)
    facts = ["key", "status", "source", "certified_on"]
    told = per_person(memberships, [c for c in memberships if c not in facts])
    people = eligible[["key", "birth_date"]].join(told, on="key")
    people["residence_permit"] = eligible["residence_permit"].map({True: "是", False: "否"}).astype("string")
    return policy_mod.decide(policy, people, memberships[[c for c in facts if c in memberships]], as_of=as_of)


def with_identity(decided: pd.DataFrame, persons: pa.Table) -> pd.DataFrame:
    """Decisions with who each person is (``BILL_IDENTITY``, from the published persons): what a bill carries."""
    who = storage.take_rows(persons, decided["key"].to_numpy(), BILL_IDENTITY)
    return decided.merge(who, on="key", how="left", validate="one_to_one")


def audit_decisions(policy: policy_mod.Policy, frame: pd.DataFrame) -> None:
    """Refuse decisions whose funds do not add up to the subsidy."""
    fund_total = frame[[f"fund_{f}_fen" for f in policy.funds]].sum(axis=1)
    if not (fund_total == frame["subsidy_fen"]).all():
        raise RuntimeError("资助金额与各资金来源合计不一致")


@locked_stage
def make_bills(settings: Settings, *, run_id: str) -> dict:
    """Turn decisions into bills and record what changed since the last run, in one transaction."""
    policy = policy_mod.load(settings.county)
    decided = storage.read_staged_table(_stage_path(settings, "decisions"))
    decided = decided.filter(pc.greater(decided["subsidy_fen"], 0)).to_pandas()  # only these can have a bill
    decided = with_identity(decided, storage.read_staged_table(_stage_path(settings, "persons"), BILL_IDENTITY))
    current = bills_mod.build_bills(decided, list(policy.funds), policy.jurisdiction.region_code, policy.year)
    warehouse = storage.engine(settings.warehouse_url)
    with warehouse.begin() as conn:
        delta = bills_mod.diff_bills(current, bills_mod.previous_bills(conn, settings.county, policy.year))
        counts = bills_mod.record_changes(conn, delta, settings.county, policy.year, run_id)
    log.info("单据 %d 张：新增 %d，变更 %d，作废 %d，未变 %d", len(current), counts["new"], counts["amended"],
             counts["cancelled"], counts["unchanged"])
    return {**counts, "bills": len(current)}


@locked_stage
def reconcile_payments(settings: Settings, *, as_of: dt.date, run_id: str) -> dict:
    """Match tax payment records to the bills; every case becomes a work item (kind → count)."""
    policy = policy_mod.load(settings.county)
    staged, _ = _published_feeds(settings, {"payments"}, coverage.PAYMENT_INPUTS)
    payments = pd.concat(staged.values(), ignore_index=True) if staged else pd.DataFrame()
    b, v = storage.bills, storage.bill_versions
    with storage.engine(settings.warehouse_url).begin() as conn:
        held = storage.read_frame(conn, sa.select(b.c.bill_no, b.c.person_key, b.c.status, b.c.subsidy_fen,
                                                  b.c.personal_fen).where(b.c.county == settings.county,
                                                                          b.c.year == policy.year),
                                  ints=("person_key", "subsidy_fen", "personal_fen"))

        def bill_rows(query: sa.Select, key: sa.Column, bill_nos: pd.Series) -> pd.DataFrame:
            """``query``'s rows for these bills only (the county's, by their numbers): a few thousand of them."""
            parts = [storage.read_frame(conn, query.where(key.in_(part)))
                     for part in storage.chunks(bill_nos.drop_duplicates().tolist())]
            return pd.concat(parts, ignore_index=True) if parts else storage.read_frame(conn, query.where(sa.false()))

        # as the stored text (parsed once in reconcile), not a datetime object per bill
        first = sa.select(v.c.bill_no, sa.type_coerce(sa.func.min(v.c.pushed_at), sa.Text).label("first_pushed")).where(
            v.c.pushed_at.is_not(None)).group_by(v.c.bill_no)
        cases = reconcile_mod.reconcile(
            held, payments, lambda nos: bill_rows(first, v.c.bill_no, nos).set_index("bill_no")["first_pushed"],
            year=policy.year, as_of=as_of, full_fen=policy.personal_fen, overdue_days=settings.overdue_days)
        who = bill_rows(sa.select(b.c.bill_no, b.c.id_number, b.c.name, b.c.town), b.c.bill_no, cases["bill_no"])
        cases = cases.merge(who, on="bill_no", how="left")
        conn.execute(sa.delete(storage.work_items).where(storage.work_items.c.county == settings.county,
                                                         storage.work_items.c.kind.in_(reconcile_mod.KINDS)))
        storage.insert_frame(conn, storage.work_items, pd.DataFrame({
            "county": settings.county, "kind": cases["kind"], "bill_no": cases["bill_no"],
            "id_masked": mask_id_series(cases["id_number"]), "name_masked": cases["name"].map(mask_name),
            "town": cases["town"], "reason_code": cases["kind"].str.upper(), "reason_text": cases["reason_text"],
            "amount_fen": cases["amount_fen"].astype("int64"), "run_id": run_id,
        }))
    return {k: int((cases["kind"] == k).sum()) for k in reconcile_mod.KINDS}


def run(settings: Settings, *, as_of: dt.date | None = None, run_id: str | None = None, full: bool = False,
        feeds: list[str] | None = None) -> dict:
    """Every stage in one process, in DAG order, holding the county lock throughout; a failing feed is
    reported and the others go on. An ``as_of`` outside the policy year's campaign is refused before the
    lock or any table is touched; outside the collection window the summary's ``as_of_warning`` says so.
    When only rosters changed since a complete run of the same day, only they are ingested and only the
    people they touch are recomputed (:mod:`yibao.stages.correction`); ``full`` forces the whole county,
    ``feeds`` limits which feeds may count as changed."""
    as_of = as_of or settings.as_of or today()
    warning = run_date.check(policy_mod.load(settings.county), as_of)  # refuses before anything is written
    if warning:
        log.warning(warning)
    run_id = run_id or f"cli__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    with county_lock(settings, f"yibao pipeline run {run_id}"):
        return {**_run_locked(settings, as_of, run_id, full, feeds), "as_of_warning": warning}


def _run_locked(settings: Settings, as_of: dt.date, run_id: str, full: bool, only: list[str] | None) -> dict:
    init(settings)
    started = time.perf_counter()
    plan = correction.Plan("full", "要求完整运行") if full else correction.plan(settings, as_of, only)
    correction.forget(settings)
    before = correction.published_rows(settings, plan.changed) if plan.mode == "correction" else {}

    def one_feed(feed: str) -> dict:
        if plan.mode == "correction" and feed not in plan.changed:
            result = {"feed": feed, "status": "unchanged"}
        else:
            try:
                result = ingest_feed(settings, feed, as_of=as_of, run_id=run_id)
            except FeedError as exc:
                result = {"feed": feed, "status": "failed", "error": str(exc)}
        result["freshness"] = feed_freshness(settings, feed)
        return result

    # Feeds are independent: two at a time keep both cores busy (Arrow and NumPy release the GIL), but two
    # large drops never at once: each holds about six times its size while it is read.
    sources = load_sources()
    large = {feed for feed, source in sources.items() if drop_bytes(settings.inbox, source) > LARGE_DROP}
    feeds, ingest_spans = stage_graph.run({feed: partial(one_feed, feed) for feed in sources}, dict.fromkeys(sources, ()),
                                          workers=INGEST_THREADS, initializer=run_lock.adopt,
                                          initargs=(settings.county,), apart=large)
    spans = {f"ingest:{feed}": ingest_spans[feed] for feed in sources}
    patched = correction.recompute(settings, before, as_of, run_id) if plan.mode == "correction" else {}
    if plan.mode == "correction" and not patched:
        plan = correction.Plan("full", f"更正涉及超过 {correction.MAX_PEOPLE} 人，改为完整重算")
    full_stages = {  # when several are ready, a free core takes the first (see CORRECTION_AFTER)
        "identities": partial(resolve_identities, settings, as_of=as_of, run_id=run_id),
        "decisions": partial(decide_subsidies, settings, as_of=as_of, run_id=run_id),
        "bills": partial(make_bills, settings, run_id=run_id),
        "tax_push": partial(money_path.approve_and_push, settings, run_id=run_id),
        "tax_answers": partial(money_path.tax_answers_or_outage, settings, run_id=run_id),
        "coverage": partial(compute_coverage, settings, as_of=as_of, run_id=run_id),
        "feedback": partial(write_feedback, settings, as_of=as_of),
        "reconciliation": partial(reconcile_payments, settings, as_of=as_of, run_id=run_id),
        "outputs": partial(write_outputs, settings, as_of=as_of, run_id=run_id),
        "fund_totals": partial(money_path.write_fund_totals, settings, as_of=as_of, run_id=run_id),
    }
    stages, stage_spans = stage_graph.run({name: patched.get(name, fn) for name, fn in full_stages.items()},
                                          CORRECTION_AFTER if patched else STAGES_AFTER, workers=STAGE_THREADS,
                                          initializer=run_lock.adopt,
                                          initargs=(settings.county,))
    spans.update(stage_spans)
    correction.remember(settings, as_of, plan.drops)
    return {
        "county": settings.county,
        "as_of": as_of.isoformat(),
        "run_id": run_id,
        "mode": plan.mode,
        "mode_reason": plan.reason,
        "feeds": {f: {k: v for k, v in r.items() if k != "feed"} for f, r in feeds.items()},
        "bills": {k: stages["bills"][k] for k in ("new", "amended", "cancelled", "unchanged")},
        "approval": stages["tax_push"][0],
        "tax_push": stages["tax_push"][1],
        "coverage": {k: stages["coverage"][k] for k in ("should_insure", "paid", "gap", "rate", "late",
                                                        "refund_candidates", "days_left", "by_status")},
        "outputs": {**stages["outputs"]["outputs"], "fund_totals": stages["fund_totals"]["path"],
                    "feedback": stages["feedback"]["folder"]},
        "funds": stages["fund_totals"]["funds"],
        "tax_answers": stages["tax_answers"],
        "reconciliation": stages["reconciliation"],
        "stale_feeds": sorted(f for f, r in feeds.items() if r["freshness"]["state"] in ("late", "missing")),
        "stages": {k: v for k, v in stages.items() if k not in (
            "bills", "tax_push", "tax_answers", "coverage", "reconciliation", "outputs", "fund_totals")},
        "seconds": {k: round(end - start, 3) for k, (start, end) in spans.items()}
        | {"total": round(time.perf_counter() - started, 3)},
        # when each feed and stage started and ended, seconds from the run's start (they overlap)
        "timeline": {k: [round(start - started, 3), round(end - started, 3)] for k, (start, end) in spans.items()},
    }
