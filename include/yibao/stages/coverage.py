"""The coverage stages: every person's status and the gaps (``compute_coverage``), then what people open
(``write_outputs``): the daily report, the towns' reminder lists, the villages' 公示 lists, refund
candidates and late payers, in the dated outbox.

Both return counts and paths only (safe for XCom and logs); personal data stays in the staged tables and the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from yibao import coverage, policy, refunds, storage
from yibao.outputs import lists, outbox
from yibao.outputs.report import Report, write_html_report, write_xlsx_report
from yibao.run_lock import locked_stage
from yibao.settings import Settings
from yibao.sources import load_sources
from yibao.stages.files import published_feeds, stage_path

log = logging.getLogger(__name__)
AGGREGATE_TABLES = ("coverage", "coverage_villages", "coverage_assisted")  # towns, villages, assisted categories
INSURED_CASES = {"employee_insured": "employee_insurance", "insured_elsewhere": "insured_elsewhere"}
LIST_COLUMNS = ["town", "village", "should_insure", "status", "paid_date", "paid_fen", "category", "personal_fen",
                "benefit_start", "benefit_rule", "benefit_clause"]
OUTPUT_NAMES = {  # summary key → file or folder name in the day's outbox
    "report_xlsx": "参保缴费日报.xlsx",
    "report_html": "参保缴费日报.html",
    "reminder_lists": "催缴名单",
    "notice_lists": "公示名单",
    "refund_candidates": "退费候选名单.xlsx",
    "late_payers": "逾期缴费名单.xlsx",
}


def load_person_status(settings: Settings, columns: list[str] | None = None) -> pd.DataFrame:
    """Published statuses with who each person is (from persons, same rows in the same order)."""
    statuses = storage.read_staged(stage_path(settings, "person_status"), columns=columns and ["key", *columns])
    path = stage_path(settings, "persons")
    present = [c for c in coverage.IDENTITY_COLUMNS if c in storage.staged_columns(path)]
    people = storage.read_staged(path, columns=["key", "household_id", *present]).reindex(
        columns=["key", "household_id", *coverage.IDENTITY_COLUMNS], fill_value="")
    if len(people) != len(statuses) or not (people["key"].to_numpy() == statuses["key"].to_numpy()).all():
        raise RuntimeError("人员状态与人员表不一致，请先重新运行参保统计")
    people["household_id"] = people["household_id"].fillna("")
    joined = pd.concat([statuses, people.drop(columns="key")], axis=1)
    return joined.assign(status_label=joined["status"].map(coverage.STATUSES)) if "status" in joined else joined


def _refund_events(settings: Settings, persons: pd.DataFrame) -> pd.DataFrame:
    sources = load_sources()
    register = next((s for s in sources.values() if s.kind == "register"), None)
    frames = [refunds.death_events(persons, f"{register.department}·{register.title}" if register else "户籍")]
    staged, kinds = published_feeds(settings, set(INSURED_CASES))
    for feed, frame in staged.items():
        source = sources[feed]
        frames.append(refunds.insured_events(frame, INSURED_CASES[kinds[feed]], f"{source.department}·{source.title}"))
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)


@locked_stage
def compute_coverage(settings: Settings, *, as_of: dt.date, run_id: str) -> dict:
    """Statuses and aggregates for ``as_of``; replaces today's snapshot rows and the current town table."""
    rules = policy.load(settings.county)
    persons = storage.read_staged(stage_path(settings, "persons"), columns=coverage.STATUS_INPUTS)
    decisions = storage.read_staged(stage_path(settings, "decisions"),
                                    columns=["key", "category", "subsidy_fen", "personal_fen"])
    memberships = storage.read_staged(stage_path(settings, "memberships"), columns=["key", "status"])
    staged, _ = published_feeds(settings, {"payments"}, coverage.PAYMENT_INPUTS)
    payments = pd.concat(staged.values(), ignore_index=True) if staged else pd.DataFrame()
    statuses = coverage.person_statuses(persons, decisions, memberships, payments, rules, as_of)
    households = coverage.partial_households(statuses)
    events = _refund_events(settings, persons)
    who = storage.read_staged_table(stage_path(settings, "persons"), ["key", "name", "id_number"])
    candidates = refunds.refund_candidates(statuses, who, events, rules)
    # Who a person is (and where the household number is) stays in persons: load_person_status joins it.
    published = statuses.drop(columns=["birth_date", "household_id", "status_label"])
    aggregates = Aggregates(coverage.by_town(published, rules.jurisdiction, households), coverage.by_village(published),
                            coverage.assisted_by_category(published, rules), coverage.status_counts(published))
    return publish_coverage(settings, rules, published, aggregates, households, candidates, as_of=as_of, run_id=run_id)


class Aggregates(NamedTuple):
    """What the day's report counts: per town, village and assisted category, and per status."""

    towns: pd.DataFrame
    villages: pd.DataFrame
    assisted: pd.DataFrame
    by_status: dict[str, int]


def standing_aggregates(settings: Settings, by_status: dict[str, int]) -> Aggregates:
    """The published aggregates as they are: a correction that moved nobody's status moved no count."""
    return Aggregates(*(storage.read_staged(stage_path(settings, name)) for name in AGGREGATE_TABLES), by_status)


def published_aggregates(settings: Settings, rules: policy.Policy, households: pd.DataFrame,
                         gone: pd.DataFrame, came: pd.DataFrame, by_status: dict[str, int]) -> Aggregates:
    """The published aggregates with the statuses ``gone`` replaced by ``came`` (a correction's people):
    shifted by their counts, not counted again over the county."""
    def shift(name: str, by: list[str], only=lambda rows: rows) -> pd.DataFrame:
        return coverage.shifted(storage.read_staged(stage_path(settings, name)), by, only(gone), only(came))

    return Aggregates(coverage.town_report(shift("coverage", ["town"]), rules.jurisdiction, households),
                      coverage.village_report(shift("coverage_villages", ["town", "village"])),
                      coverage.assisted_report(shift("coverage_assisted", ["category"], coverage.assisted), rules),
                      by_status)


def audit_statuses(frame: pd.DataFrame | pa.Table, *, by_status: dict[str, int],
                   published: pa.ChunkedArray | None = None) -> None:
    """Refuse statuses whose count differs from the counts by status, or whose people repeat. A correction's
    patched statuses must hold exactly the people published before (``published``: their keys), in that
    order: those were audited when published, so comparing the keys stands in for hashing a million.

    >>> audit_statuses(pd.DataFrame({"key": [7, 9]}), by_status={"paid": 1, "unpaid": 1})
    >>> audit_statuses(pa.table({"key": [9, 7]}), by_status={"paid": 2}, published=pa.chunked_array([[7, 9]]))
    Traceback (most recent call last):
    RuntimeError: 人员状态合计与人员总数不一致
    """
    if published is not None:
        people_ok = isinstance(frame, pa.Table) and frame["key"].equals(published)
    else:
        people_ok = pd.Index(np.asarray(frame["key"])).is_unique
    if sum(by_status.values()) != len(frame) or not people_ok:
        raise RuntimeError("人员状态合计与人员总数不一致")


def publish_coverage(settings: Settings, rules: policy.Policy, statuses: pd.DataFrame | pa.Table | None,
                     aggregates: Aggregates, households: pd.DataFrame, candidates: pd.DataFrame, *, as_of: dt.date,
                     run_id: str, patched: bool = False) -> dict:
    """Publish the statuses (persons' order; a correction's patched ones as Arrow, written as they are)
    with their aggregates, and replace today's warehouse rows. A correction (``patched``) leaves the
    published partly paid households and refund candidates as they are (a roster cannot change them)
    and may pass only the columns counted here (``town``, ``key``); its ``statuses`` are None when
    nobody's moved (:func:`standing_aggregates`: the published files stay)."""
    towns, villages, assisted, by_status = aggregates

    path = stage_path(settings, "person_status")
    if statuses is not None:
        published = storage.read_staged_table(path, ["key"])["key"] if patched else None
        storage.publish_frame(statuses, path, audit=partial(audit_statuses, by_status=by_status, published=published))
        for name, table in zip(AGGREGATE_TABLES, (towns, villages, assisted), strict=True):
            storage.publish_frame(table, stage_path(settings, name))
    if not patched:
        storage.publish_frame(households, stage_path(settings, "partial_households"))
        storage.publish_frame(candidates, stage_path(settings, "refund_candidates"))

    with storage.engine(settings.warehouse_url).begin() as conn:
        current = storage.coverage_by_town
        conn.execute(sa.delete(current).where(current.c.county == settings.county))
        storage.insert_frame(conn, current, towns[["town", "task_population", "should_insure", "paid", "gap"]].assign(
            county=settings.county, as_of=as_of, run_id=run_id))
        for daily in (storage.coverage_daily, storage.status_daily):
            conn.execute(sa.delete(daily).where(daily.c.county == settings.county, daily.c.as_of == as_of))
        snapshot = towns[[c.name for c in storage.coverage_daily.columns if c.name in towns.columns]]
        storage.insert_frame(conn, storage.coverage_daily, snapshot.assign(county=settings.county, as_of=as_of,
                                                                           run_id=run_id))
        storage.insert_frame(conn, storage.status_daily, pd.DataFrame(
            {"status": list(by_status), "persons": list(by_status.values())}).assign(
            county=settings.county, as_of=as_of, run_id=run_id))
    totals = towns[["should_insure", "paid", "gap", "late", "assisted_should", "assisted_paid"]].sum()
    result = {k: int(v) for k, v in totals.items()}
    result.update(
        rate=round(result["paid"] / result["should_insure"], 4) if result["should_insure"] else None,
        towns=len(towns), villages=len(villages), partial_households=len(households),
        refund_candidates=int(candidates["key"].nunique()), days_left=coverage.days_left(rules, as_of),
        by_status=by_status,
    )
    log.info("参保统计（截至 %s）：应参保 %d 人，已缴 %d 人，未缴 %d 人，逾期缴费 %d 人，退费候选 %d 人",
             as_of, result["should_insure"], result["paid"], result["gap"], result["late"], result["refund_candidates"])
    return result


def _trend(settings: Settings, as_of: dt.date) -> pd.DataFrame:
    table = storage.coverage_daily
    query = (
        sa.select(table.c.as_of, *(sa.func.sum(table.c[c]).label(c) for c in
                                   ("should_insure", "paid", "gap", "assisted_should", "assisted_paid")))
        .where(table.c.county == settings.county, table.c.as_of <= as_of)
        .group_by(table.c.as_of).order_by(table.c.as_of)
    )
    with storage.engine(settings.warehouse_url).connect() as conn:
        trend = pd.DataFrame(conn.execute(query).all(), columns=list(query.selected_columns.keys()))
    trend["as_of"] = pd.to_datetime(trend["as_of"]).dt.date
    numbers = ["should_insure", "paid", "gap", "assisted_should", "assisted_paid"]
    trend[numbers] = trend[numbers].astype("int64")
    trend["rate"] = (trend["paid"] / trend["should_insure"].where(trend["should_insure"] > 0)).astype("float64")
    return trend


def headline_figures(rules: policy.Policy, towns: pd.DataFrame, statuses: dict[str, int], as_of: dt.date,
                     refund_count: int, household_count: int) -> dict:
    """What the report's header and cards show: totals, rates, task progress and the window."""
    sums = {c: int(towns[c].sum()) for c in ("should_insure", "paid", "gap", "late", "assisted_should", "assisted_paid")}
    task = int(towns["task_population"].sum()) if towns["task_population"].notna().any() else None
    with_task = towns["task_population"].notna()
    task_paid = int(towns.loc[with_task, "paid"].sum())

    def share(a: int, b: int | None) -> float | None:
        return a / b if b else None

    return {
        "county": rules.jurisdiction.name, "year": rules.year, "as_of": as_of.isoformat(),
        "window_start": rules.collection_window[0].isoformat(), "window_end": rules.collection_window[1].isoformat(),
        "days_left": coverage.days_left(rules, as_of), "population": sum(statuses.values()), **sums,
        "rate": share(sums["paid"], sums["should_insure"]), "task_population": task,
        "task_rate": share(task_paid, task), "task_citation": rules.jurisdiction.citation,
        "assisted_rate": share(sums["assisted_paid"], sums["assisted_should"]),
        "refunds": refund_count, "partial_households": household_count,
        "generated": dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M"),
    }


def _seconds(write: Callable[[], object]) -> float:
    started = time.perf_counter()
    write()
    return time.perf_counter() - started


@locked_stage
def write_outputs(settings: Settings, *, as_of: dt.date, run_id: str, only_towns: set[str] | None = None) -> dict:
    """Write the day's report and lists into ``outbox/<county>/<as_of>/``; a rerun replaces them.

    ``only_towns`` (a correction: where the recomputed people live) limits the towns' and villages' lists
    rewritten; the others are kept from the day's earlier run, which the correction builds on."""
    rules = policy.load(settings.county)
    day = outbox.day_dir(settings, as_of)
    statuses = load_person_status(settings, LIST_COLUMNS)
    towns = storage.read_staged(stage_path(settings, "coverage"))
    households = storage.read_staged(stage_path(settings, "partial_households"))
    candidates = storage.read_staged(stage_path(settings, "refund_candidates"))
    by_status = coverage.status_counts(statuses)
    paths = {name: day / file for name, file in OUTPUT_NAMES.items()}
    report = Report(
        headline=headline_figures(rules, towns, by_status, as_of, int(candidates["key"].nunique()), len(households)),
        towns=towns, villages=storage.read_staged(stage_path(settings, "coverage_villages")),
        assisted=storage.read_staged(stage_path(settings, "coverage_assisted")), statuses=by_status,
        trend=_trend(settings, as_of),
    )
    window_end = rules.collection_window[1]

    def reminders(folder: Path) -> None:
        lists.reminder_lists(statuses, households, folder, as_of=as_of, year=rules.year, window_end=window_end,
                             towns=only_towns)

    def notices(folder: Path) -> None:
        lists.notice_lists(statuses, folder, as_of=as_of, year=rules.year, towns=only_towns)

    rewritten = None if only_towns is None else {lists.file_name(t) for t in only_towns}  # <town>.xlsx, <town>/<village>.xlsx
    # One after another: each list's workbooks are already compressed by several threads, and a second
    # writer here (the chain runs this beside the push) slowed the push and raised the day's peak memory.
    writes = {
        "notice_lists": lambda: outbox.replace_dir(
            paths["notice_lists"], notices, keep=None if rewritten is None else (lambda path: path.parts[0] not in rewritten)),
        "reminder_lists": lambda: outbox.replace_dir(
            paths["reminder_lists"], reminders, keep=None if rewritten is None else (lambda path: path.stem not in rewritten)),
        "report": lambda: (write_xlsx_report(report, paths["report_xlsx"]), write_html_report(report, paths["report_html"])),
        "refund_and_late": lambda: (
            lists.refund_list(candidates, paths["refund_candidates"], as_of=as_of),
            lists.late_list(statuses, paths["late_payers"], as_of=as_of, late_fen=rules.late_payment.amount_fen)),
    }
    seconds = {name: _seconds(write) for name, write in writes.items()}
    counts = {f"{kind}_files": sum(1 for _ in paths[f"{kind}_lists"].rglob("*.xlsx")) for kind in ("reminder", "notice")}
    log.info("已输出日报、催缴名单 %d 份、公示名单 %d 份至 %s", counts["reminder_files"], counts["notice_files"], day)
    return {"outbox": str(day), **counts, "outputs": {name: str(path) for name, path in paths.items()},
            "seconds": {k: round(v, 3) for k, v in seconds.items()}}
