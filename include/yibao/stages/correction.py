"""Corrections recompute only what changed.

When a department resends a roster, the rerun need not redo the county. Feeds whose current drop is the
one already published (same landed SHA-256) are skipped; a changed roster is ingested and compared with
what it published before, row content per person key, and only the people whose rows changed get their
memberships, decisions, bills and coverage statuses recomputed. Published stage tables are patched row by
row, bills are diffed (and later pushed) for those people only, and the aggregates are recomputed from the
patched statuses; only their towns' reminder and 公示 lists are written again, the others are kept from the
day's run. When nobody is recomputed and nothing is pushed, the decisions and reconciliation's work items
stand as the earlier run left them. The result is the full run's (``tests/e2e/test_correction.py`` and the
golden outputs compare them).

A correction builds on a complete earlier run for the same day, rules file and feed configs whose
published files nobody has replaced since (``remember`` records them at the end of every run). Anything
else means a full run, with the reason in the summary: no such run, another day, changed configuration,
a changed feed that is not a roster (the register, permits, insured lists and payments change who is
counted or paid), or too many people touched for patching to pay off.

Why the rest can stay as it is: a roster only says who holds which status. Persons, payments and refund
events do not depend on it, and neither does whether someone has paid, so partly paid households and
refund candidates are unchanged; only subsidies, categories and the assisted statuses move.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from yibao import bills as bills_mod
from yibao import coverage, freshness, ids, landing, money_path, reconcile, storage
from yibao import policy as policy_mod
from yibao.adjustments import apply_changes
from yibao.identities import cross_check
from yibao.jurisdiction import rules_path
from yibao.readers import FeedError
from yibao.run_lock import locked_stage
from yibao.settings import Settings
from yibao.sources import Source, load_sources, sources_dir
from yibao.stages.coverage import publish_coverage, published_aggregates, standing_aggregates, write_outputs
from yibao.stages.files import feed_path, published_feeds, rejections_path, stage_path

log = logging.getLogger(__name__)
STATE_FILE = "_correction_state.json"
PATCHABLE_KINDS = ("roster", "roster_changes")
PATCH_RUNS = 1_000  # runs of changed rows beyond which one gather beats cutting the table around them
MAX_PEOPLE = 20_000  # more people touched than this: a full run costs about the same and is simpler
CROSSCHECK_INPUTS = ["key", "name", "deceased", "moved_out", "status_date"]


@dataclass(frozen=True)
class Plan:
    mode: str  # "full" | "correction"
    reason: str  # why (Chinese), for the summary
    changed: tuple[str, ...] = ()  # correction: the feeds to ingest
    drops: dict = field(default_factory=dict)  # correction: each unchanged feed's recorded drop stats


def _state_path(settings: Settings) -> Path:
    return settings.staging / STATE_FILE


def _config_digest(settings: Settings) -> str:
    """The rules file and every feed config: a change to either can move anyone's result."""
    digest = hashlib.sha256(rules_path(settings.county).read_bytes())
    for config in sorted(sources_dir().glob("*.yaml")):
        digest.update(config.name.encode() + config.read_bytes())
    return digest.hexdigest()


def _published(settings: Settings) -> dict[str, list[int]]:
    """Every published table under staging with its size and modification time: a run by anything else
    (a DAG task, a full run that failed half way) changes at least one."""
    found = {}
    for path in sorted(settings.staging.rglob("*.arrow")):
        if path.parent == _before_dir(settings):
            continue
        stat = path.stat()
        found[path.relative_to(settings.staging).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return found


def _current_drops(settings: Settings, source: Source) -> list[Path] | None:
    """The drops ingest would read now, or None when it would refuse or fail (then it must run)."""
    drops, refused = landing.find_drops(settings.inbox, source)
    if any(r.fatal for r in refused):
        return None
    if source.current == "all" or len(drops) <= 1:
        return drops
    stats = [landing.LandedFile(source.id, d.relative_to(settings.inbox).as_posix(), d, "", d.stat().st_size,
                                dt.datetime.fromtimestamp(d.stat().st_mtime, dt.UTC)) for d in drops]
    try:
        return [f.path for f in landing.current_order(stats, source.current)[-1:]]
    except FeedError:
        return None


def _stat(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _drop_stats(settings: Settings, source: Source, known: dict | None) -> dict | None:
    """``{file: [size, mtime_ns]}`` of the feed's current drops when they are the ones its published table
    was built from (same names and landed hashes); None when the feed must be ingested again (also when
    its drop is gone: ingest then says so and keeps the published table). A file
    whose size and time match ``known`` (recorded last run) is not hashed again."""
    if source.format == "sql":  # a department's table: only a pull can tell
        return None
    drops = _current_drops(settings, source)
    meta_path = freshness.snapshot_meta_path(feed_path(settings, source.id))
    if drops is None:
        return None
    if not drops or not meta_path.exists() or not feed_path(settings, source.id).exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    names = [d.relative_to(settings.inbox).as_posix() for d in drops]
    if names != meta["files"]:
        return None
    stats = {name: _stat(d) for name, d in zip(names, drops, strict=True)}
    if known and all(known.get(n) == s for n, s in stats.items()):
        return stats
    if [landing.sha256_of(d) for d in drops] != meta.get("sha256"):
        return None
    return stats


def plan(settings: Settings, as_of: dt.date, feeds: list[str] | None = None) -> Plan:
    """Full run or correction, and why. ``feeds`` limits which feeds may count as changed (a rerun for
    named feeds); the others are taken as they were published."""
    path = _state_path(settings)
    if not path.exists():
        return Plan("full", "没有可在其上更正的完整运行记录")
    state = json.loads(path.read_text(encoding="utf-8"))
    if state["as_of"] != as_of.isoformat():
        return Plan("full", f"统计日期与上次运行（{state['as_of']}）不同")
    if state["config"] != _config_digest(settings):
        return Plan("full", "规则文件或数据源配置已变更")
    if state["published"] != _published(settings):
        return Plan("full", "上次运行后已发布的中间数据被其他运行替换")
    sources = load_sources()
    changed, drops = [], {}
    for feed, source in sources.items():
        stats = _drop_stats(settings, source, state["drops"].get(feed)) if feeds is None or feed in feeds \
            else state["drops"].get(feed, {})
        if stats is None:
            changed.append(feed)
        else:
            drops[feed] = stats
    others = [f"{sources[f].department}{sources[f].title}" for f in changed if sources[f].kind not in PATCHABLE_KINDS]
    if others:
        return Plan("full", f"{'、'.join(others)}有更新，影响人员底册或缴费，需完整运行")
    return Plan("correction", "仅名单类数据源有更新" if changed else "各数据源均无更新", tuple(changed), drops)


def forget(settings: Settings) -> None:
    """At the start of every run: until it completes, nothing may build on the previous one."""
    _state_path(settings).unlink(missing_ok=True)


def remember(settings: Settings, as_of: dt.date, drops: dict | None = None) -> None:
    """After a complete run: what the next correction builds on. ``drops`` carries over the recorded
    stats of feeds this run did not ingest; the others are checked against their landed hashes."""
    sources = load_sources()
    recorded = dict(drops or {})
    for feed, source in sources.items():
        if feed not in recorded:
            stats = _drop_stats(settings, source, None)
            if stats is not None:
                recorded[feed] = stats
    state = {"as_of": as_of.isoformat(), "config": _config_digest(settings), "published": _published(settings),
             "drops": recorded}
    path = _state_path(settings)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def published_rows(settings: Settings, feeds: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The changed feeds' tables as published before this run's ingest (empty when there was none)."""
    return {f: storage.read_staged(feed_path(settings, f)) if feed_path(settings, f).exists() else pd.DataFrame()
            for f in feeds}


def changed_keys(before: pd.DataFrame, after: pd.DataFrame) -> np.ndarray:
    """Person keys whose rows (as a multiset of what they say, not where they sit in the file) differ
    between two versions of a feed.

    Each column is numbered over both versions at once (``factorize``) and the rows are hashed on those
    numbers: hashing the text itself costs twice as much. A version without rows, or with other columns,
    changes every person in either.
    """
    meta = ("_file", "_row", "seq")
    content = sorted(c for c in after.columns if c not in meta)
    if before.empty or after.empty or content != sorted(c for c in before.columns if c not in meta):
        return _keys([f["key"].to_numpy() for f in (before, after) if len(f)])
    both = pd.concat([before[content], after[content]], ignore_index=True)
    rows = pd.util.hash_pandas_object(pd.DataFrame({c: pd.factorize(both[c])[0] for c in content}), index=False)
    distinct, at = np.unique(rows.to_numpy(), return_inverse=True)
    net = np.bincount(at, weights=np.repeat([-1.0, 1.0], [len(before), len(after)]), minlength=len(distinct))
    return np.unique(both["key"].to_numpy()[net[at] != 0])


def _keys(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else np.array([], dtype="int64")


def _read_keys(path: Path, keys: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
    """Rows of a published table for some persons only, in the file's order."""
    return storage.take_rows(storage.read_staged_table(path, columns), keys)


def _patch(old: pa.Table, new: pd.DataFrame) -> pa.Table:
    """``old`` with the rows of ``new``'s keys replaced in place (same keys, same order, same columns);
    ``old`` itself when those rows hold what they held (a correction that moves nobody's result), so the
    caller can keep the published file instead of writing a million rows again.

    The rows are found by hashing the few new keys, not the million old ones. A few runs of changed
    rows: ``old`` is cut around them (slices share its memory) and the pieces are copied once, in order
    (writing hundreds of pieces as batches costs more than the copy); many runs: one gather of every row,
    which then costs less than the pieces.
    """
    if not len(new):
        return old
    hit = pc.is_in(old["key"], value_set=pa.array(new["key"], old.schema.field("key").type))
    at = np.flatnonzero(hit.to_numpy(zero_copy_only=False))  # ascending: the rows in the table's order
    if len(at) != len(new):  # a key missing from ``old``, or given twice
        raise RuntimeError("更正的人员与已发布的数据不一致，请完整运行")
    rows = pa.Table.from_pandas(new[old.column_names], preserve_index=False)
    rows = rows.cast(pa.schema([old.schema.field(c) for c in old.column_names])).replace_schema_metadata(None)
    rows = rows.take(pa.array(pd.Index(new["key"]).get_indexer(old["key"].take(pa.array(at)).to_numpy())))
    if _decoded(rows).equals(_decoded(old.take(pa.array(at)))):
        return old
    starts = np.flatnonzero(np.r_[True, np.diff(at) != 1])  # runs of adjacent changed rows
    metadata, old = old.schema.metadata, old.replace_schema_metadata(None)
    if len(starts) > PATCH_RUNS:
        index = np.arange(old.num_rows)
        index[at] = old.num_rows + np.arange(len(at))
        patched = pa.concat_tables([old, rows]).unify_dictionaries().take(index)
    else:
        pieces, kept_from = [], 0
        for first, stop in zip(starts, [*starts[1:], len(at)], strict=True):
            pieces += [old.slice(kept_from, at[first] - kept_from), rows.slice(first, stop - first)]
            kept_from = at[stop - 1] + 1
        patched = pa.concat_tables([*pieces, old.slice(kept_from)]).unify_dictionaries().combine_chunks()
    return patched.replace_schema_metadata(metadata)


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns as their values: two tables' dictionaries differ even where their values agree."""
    return pa.table({name: column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
                     for name, column in zip(table.column_names, table.columns, strict=True)})


def _replace_keys(old: pd.DataFrame, new: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
    """``old`` without the rows of ``keys``, then ``new`` (which holds those persons' rows now)."""
    kept = old[~old["key"].isin(keys)] if len(old) else old
    parts = [p for p in (kept, new) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else old


def recompute(settings: Settings, before: dict[str, pd.DataFrame], as_of: dt.date, run_id: str,
              ) -> dict[str, Callable[[], dict]]:
    """The correction's stages by name (identities, decisions, bills, push, coverage, outputs, reconciliation),
    for the pipeline to run in its order in place of the full ones; empty when more than ``MAX_PEOPLE``
    people changed."""
    staged, kinds = published_feeds(settings, set(PATCHABLE_KINDS))
    after = {feed: staged.get(feed, pd.DataFrame()) for feed in before}
    changed = _keys([changed_keys(rows, after[feed]) for feed, rows in before.items()])
    if len(changed) > MAX_PEOPLE:
        return {}
    policy = policy_mod.load(settings.county)
    persons = storage.read_staged_table(stage_path(settings, "persons"))  # each step takes its people from it
    done: dict = {}

    def identities() -> dict:
        return recompute_identities(settings, persons, staged, kinds, before, changed, as_of, run_id)

    def decisions() -> dict:
        counts, done["decided"], done["keys"] = recompute_decisions(settings, persons, policy, changed, as_of)
        return counts

    def bills() -> dict:
        return recompute_bills(settings, persons, policy, done["decided"], run_id)

    def statuses() -> dict:
        return recompute_coverage(settings, persons, policy, done["keys"], done["decided"], as_of, run_id)

    def outputs() -> dict:  # only the towns where recomputed people live get new lists
        towns = set(storage.take_rows(persons, done["keys"], ["town"])["town"].astype("str"))
        return write_outputs(settings, as_of=as_of, run_id=run_id, only_towns=towns)

    def tax_push() -> tuple[dict, dict]:
        done["push"] = money_path.approve_and_push(settings, run_id=run_id)
        return done["push"]

    def reconciliation() -> dict:  # its inputs are bills, push times and payments: the last moves only in a full run
        if len(done["keys"]) or done["push"][1].get("pushed"):
            from yibao import pipeline

            return pipeline.reconcile_payments(settings, as_of=as_of, run_id=run_id)
        return standing_work_items(settings)

    return {"identities": identities, "decisions": decisions, "bills": bills, "coverage": statuses,
            "outputs": outputs, "tax_push": tax_push, "reconciliation": reconciliation}


def standing_work_items(settings: Settings) -> dict:
    """Reconciliation's counts as the earlier run left them (kind → count), for a rerun that changed nothing
    it reads from."""
    items = storage.work_items
    with storage.engine(settings.warehouse_url).connect() as conn:
        counts = dict(conn.execute(sa.select(items.c.kind, sa.func.count()).where(
            items.c.county == settings.county, items.c.kind.in_(reconcile.KINDS)).group_by(items.c.kind)).all())
    return {kind: int(counts.get(kind, 0)) for kind in reconcile.KINDS}


def _rechecked(settings: Settings, kinds: dict[str, str], before: dict[str, pd.DataFrame], changed: np.ndarray,
               ) -> tuple[np.ndarray, list[str]]:
    """Whose cross-check to redo, and which feeds' sent-back rows to rewrite: the changed people, plus
    those a changed roster sent back before (their row numbers may have moved); a changed adjustment
    list can end or start anyone's roster rows, so then all its people and every roster feed."""
    old = storage.read_staged(rejections_path(settings, "_crosscheck"), columns=["key", "source"]) \
        if rejections_path(settings, "_crosscheck").exists() else pd.DataFrame({"key": [], "source": []})
    parts, feeds = [changed], set(before)
    for feed, rows in before.items():
        parts.append(old.loc[old["source"] == feed, "key"].to_numpy(dtype="int64"))
        if kinds.get(feed) == "roster_changes":
            parts += [rows["key"].to_numpy() if len(rows) else changed,
                      storage.read_staged(feed_path(settings, feed), columns=["key"])["key"].to_numpy()]
            feeds |= {f for f, k in kinds.items() if k in PATCHABLE_KINDS}
    return _keys(parts), [f for f in kinds if f in feeds]


def _near_register(persons: pa.Table, rows: pd.DataFrame) -> pd.DataFrame:
    """Register persons whose ID is one typo away from an ID in ``rows`` (all a suggestion can name)."""
    from yibao.ids.suggest import neighbours

    written = ids.check(rows["id_number"].astype("str"))["key"].to_numpy() if len(rows) else np.array([], "int64")
    _, near, _ = neighbours(written[written >= 0])
    return storage.take_rows(persons, np.unique(np.concatenate([near, written[written >= 0]])),
                             ["key", "id_number", "name", "town", "village", "in_register"])


def recompute_identities(settings: Settings, people: pa.Table, staged: dict[str, pd.DataFrame],
                         kinds: dict[str, str], before: dict[str, pd.DataFrame], changed: np.ndarray, as_of: dt.date, run_id: str) -> dict:
    """Memberships and the cross-check (with ID suggestions) of the people concerned, patched in."""
    from yibao import pipeline  # the stages module imports this one

    touched, feeds = _rechecked(settings, kinds, before, changed)
    mine = {feed: frame[frame["key"].isin(touched)] for feed, frame in staged.items()}
    parts = {kind: [f for feed, f in mine.items() if kinds[feed] == kind and len(f)] for kind in PATCHABLE_KINDS}
    roster, changes = (pd.concat(p, ignore_index=True) if p else pd.DataFrame() for p in parts.values())
    persons = storage.take_rows(people, touched, CROSSCHECK_INPUTS)
    memberships, rejected = cross_check(persons, apply_changes(roster, changes, as_of))
    memberships = _replace_keys(storage.read_staged(stage_path(settings, "memberships")), memberships, touched)
    storage.publish_frame(memberships, stage_path(settings, "memberships"))
    crosscheck_path = rejections_path(settings, "_crosscheck")
    old_rejected = storage.read_staged(crosscheck_path) if crosscheck_path.exists() else pd.DataFrame()
    rejected = _replace_keys(old_rejected, rejected, touched)
    # ID suggestions: kept for the other feeds, found again for the rewritten ones' sent-back rows
    fresh = rejected[rejected["source"].isin(feeds)] if len(rejected) else rejected
    sent_back = pd.concat([storage.read_staged(rejections_path(settings, f)).reindex(columns=["id_number"])
                           for f in feeds if rejections_path(settings, f).exists()] + [fresh.reindex(columns=["id_number"])],
                          ignore_index=True)
    suggestions = pipeline._suggest_corrections(settings, _near_register(people, sent_back), fresh, feeds)
    old_suggestions = storage.read_staged(rejections_path(settings, "_suggestions"))
    suggestions = pd.concat([old_suggestions[~old_suggestions["feed"].isin(feeds)], suggestions], ignore_index=True)
    pipeline.record_crosscheck(settings, run_id, rejected, suggestions, feeds)
    return {"persons": people.num_rows, "should_insure": pc.sum(people["should_insure"]).as_py(),
            "memberships": len(memberships), "crosscheck_rejected": len(rejected),
            "id_suggestions": len(suggestions), "people_rechecked": len(touched), "people_changed": len(changed)}


def _with_households(people: pa.Table, policy: policy_mod.Policy, persons: pd.DataFrame) -> pd.DataFrame:
    """When newborns inherit their family's statuses, a member's change reaches the whole household."""
    if not (policy.newborn and policy.newborn.inherit_statuses):
        return persons
    family = storage.take_rows(people, persons["household_id"].dropna().unique().tolist(), list(persons.columns),
                               "household_id")
    return pd.concat([persons, family[~family["key"].isin(persons["key"])]], ignore_index=True)


def recompute_decisions(settings: Settings, people: pa.Table, policy: policy_mod.Policy, changed: np.ndarray,
                        as_of: dt.date) -> tuple[dict, pd.DataFrame, np.ndarray]:
    """Decisions of the changed people (and their households when newborns inherit), patched into the
    published table; returns the counts, those people's new decisions and all their keys."""
    from yibao import pipeline

    persons = _with_households(people, policy, storage.take_rows(people, changed, pipeline.DECISION_INPUTS))
    keys = persons["key"].to_numpy()
    memberships = _read_keys(stage_path(settings, "memberships"), keys)
    decided = pipeline.decide(policy, persons, memberships, as_of)
    pipeline.audit_decisions(policy, decided)  # the other rows passed it when they were decided
    published = storage.read_staged_table(stage_path(settings, "decisions"))
    patched = _patch(published, decided) if len(keys) else published
    if patched is not published:  # else nobody was recomputed or nobody's decision moved: the file stays
        storage.publish_frame(patched, stage_path(settings, "decisions"))
    subsidy = patched["subsidy_fen"].to_numpy()
    return ({"decided": patched.num_rows, "assisted": int((subsidy > 0).sum()), "subsidy_fen": int(subsidy.sum()),
             "recomputed": len(keys)}, decided, keys)


def recompute_bills(settings: Settings, people: pa.Table, policy: policy_mod.Policy, decided: pd.DataFrame,
                    run_id: str) -> dict:
    """Bills of the recomputed people diffed against theirs in the warehouse; only changes get versions."""
    from yibao import pipeline

    current = bills_mod.build_bills(pipeline.with_identity(decided, people), list(policy.funds),
                                    policy.jurisdiction.region_code, policy.year)
    b = storage.bills
    with storage.engine(settings.warehouse_url).begin() as conn:
        previous = bills_mod.previous_bills(conn, settings.county, policy.year, decided["key"].astype("int64").tolist())
        counts = bills_mod.record_changes(conn, bills_mod.diff_bills(current, previous), settings.county,
                                          policy.year, run_id)
        active = conn.execute(sa.select(sa.func.count()).where(
            b.c.county == settings.county, b.c.year == policy.year, b.c.status == "active")).scalar_one()
    counts["unchanged"] = int(active) - counts["new"] - counts["amended"]  # as a full run counts them
    log.info("更正单据：新增 %d，变更 %d，作废 %d", counts["new"], counts["amended"], counts["cancelled"])
    return {**counts, "bills": int(active)}


def recompute_coverage(settings: Settings, people: pa.Table, rules: policy_mod.Policy, keys: np.ndarray,
                       decided: pd.DataFrame, as_of: dt.date, run_id: str) -> dict:
    """Statuses of the recomputed people patched into the published ones; aggregates and today's warehouse
    rows from the patched statuses (households and refund candidates stay: see the module's note)."""
    persons = storage.take_rows(people, keys, coverage.STATUS_INPUTS)
    memberships = _read_keys(stage_path(settings, "memberships"), keys, ["key", "status"])
    paying = [feed_path(settings, f) for f, source in load_sources().items() if source.kind == "payments"]
    payments = [_read_keys(path, keys, coverage.PAYMENT_INPUTS) for path in paying if path.exists()]
    payments = pd.concat(payments, ignore_index=True) if payments else pd.DataFrame()
    mine = coverage.person_statuses(persons, decided[["key", "category", "subsidy_fen", "personal_fen"]],
                                    memberships, payments, rules, as_of)
    published = storage.read_staged_table(stage_path(settings, "person_status"))
    patched = _patch(published, mine)
    households = storage.read_staged(stage_path(settings, "partial_households"), columns=["town"])
    by_status = coverage.status_counts(patched.select(["status"]).to_pandas())
    moved = patched is not published
    aggregates = (published_aggregates(settings, rules, households, storage.take_rows(published, keys), mine, by_status)
                  if moved else standing_aggregates(settings, by_status))
    return publish_coverage(settings, rules, patched if moved else None, aggregates, households,
                            storage.read_staged(stage_path(settings, "refund_candidates"), columns=["key"]),
                            as_of=as_of, run_id=run_id, patched=True)


def _before_dir(settings: Settings) -> Path:
    return settings.staging / "correction"


def begin(settings: Settings, as_of: dt.date, feeds: list[str], run_id: str) -> Plan:
    """The DAG's rerun for named feeds, before they are ingested: plan, and for a correction keep what
    those feeds published so far (the ingest tasks replace it) for :func:`apply` in the same DAG run."""
    found = plan(settings, as_of, feeds)
    forget(settings)
    folder = _before_dir(settings)
    shutil.rmtree(folder, ignore_errors=True)
    if found.mode == "correction":
        folder.mkdir(parents=True)
        for feed in found.changed:
            if feed_path(settings, feed).exists():
                shutil.copyfile(feed_path(settings, feed), folder / f"{feed}.arrow")
        (folder / "plan.json").write_text(json.dumps({"run_id": run_id, "feeds": list(found.changed)}),
                                          encoding="utf-8")
    return found


def planned(settings: Settings, run_id: str) -> bool:
    """Did :func:`begin` choose a correction for this DAG run?"""
    path = _before_dir(settings) / "plan.json"
    return path.exists() and json.loads(path.read_text(encoding="utf-8"))["run_id"] == run_id


@locked_stage
def apply(settings: Settings, *, as_of: dt.date, run_id: str) -> dict:
    """The DAG's correction after its ingest tasks: identities, decisions and bills of the changed people
    (coverage follows in ``yibao_coverage`` as every day). Too many changed people: the full stages."""
    from yibao import pipeline

    folder = _before_dir(settings)
    feeds = json.loads((folder / "plan.json").read_text(encoding="utf-8"))["feeds"]
    before = {f: storage.read_staged(folder / f"{f}.arrow") if (folder / f"{f}.arrow").exists() else pd.DataFrame()
              for f in feeds}
    stages = recompute(settings, before, as_of, run_id)
    if not stages:
        stages = {"identities": lambda: pipeline.resolve_identities(settings, as_of=as_of, run_id=run_id),
                  "decisions": lambda: pipeline.decide_subsidies(settings, as_of=as_of, run_id=run_id),
                  "bills": lambda: pipeline.make_bills(settings, run_id=run_id)}
    done = {name: stages[name]() for name in ("identities", "decisions", "bills")}
    for feed in feeds:  # the plan stays: it tells this run's publish task to stand aside
        (folder / f"{feed}.arrow").unlink(missing_ok=True)
    return {"mode": "correction" if "people_changed" in done["identities"] else "full", **done}
