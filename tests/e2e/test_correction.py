"""A department resends its roster with 100 rows changed (categories, a removed person, an added person, a
fixed ID): the rerun takes the correction path and its results equal a full run's on the same inputs —
bills to the field, the versions sent to tax, decisions, statuses, every coverage aggregate and every town's
and village's list (only the corrected people's towns' lists are written again). Runs on
SQLite and PostgreSQL; the full run gets its own warehouse and exchange."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from yibao import pipeline, reconcile, storage, synth
from yibao.synth import writers

FEED = "minzheng_zongmingdan"
COMPARED = ["decisions", "person_status", "memberships", "coverage", "coverage_villages", "coverage_assisted",
            "partial_households", "refund_candidates"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    return out, synth.generate("wenxi-2024", 4000, 23, out)


def _correct_roster(settings, path, as_of) -> dict[str, int]:
    """Rewrite the roster workbook in place: 96 categories swapped, 2 people removed, 1 person added and
    1 invalid ID replaced by the register's (the one the feedback suggested)."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    header_at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    header = [str(c) for c in grid[header_at]]
    col = {name: next(i for i, h in enumerate(header) if h.startswith(name)) for name in
           ("姓名", "身份证号码", "人员类别", "乡镇", "村")}
    body = [[str(c) for c in r] for r in grid[header_at + 1 :]]
    suggestions = storage.read_staged(settings.staging / "rejections" / "_suggestions.arrow")
    fix = suggestions[suggestions["feed"] == FEED].iloc[0]
    body[int(fix["row_no"]) - 1][col["身份证号码"]] = fix["suggested_id"]
    def swapped(label: str) -> str | None:  # the departments' labels vary (农村低保家庭成员, 城镇特困供养人员, …)
        return "低保对象" if "特困" in label else "特困人员" if "低保" in label and "边缘" not in label else None

    swappable = [n for n, r in enumerate(body) if swapped(r[col["人员类别"]]) and n != int(fix["row_no"]) - 1]
    for n in swappable[:96]:
        body[n][col["人员类别"]] = swapped(body[n][col["人员类别"]])
    removed = swappable[96:98]
    persons = storage.read_staged(settings.staging / "persons.arrow")
    listed = set(storage.read_staged(settings.staging / "memberships.arrow")["key"])
    newcomer = persons[persons["should_insure"] & persons["in_register"] & ~persons["key"].isin(listed)].iloc[0]
    added = list(body[0])
    added[col["姓名"]], added[col["身份证号码"]], added[col["人员类别"]] = (
        newcomer["name"], newcomer["id_number"], "低保对象")
    added[col["乡镇"]], added[col["村"]] = newcomer["town"], newcomer["village"]
    body = [r for n, r in enumerate(body) if n not in removed] + [added]
    for n, row in enumerate(body, start=1):
        row[0] = str(n)
    title = [str(r[0]) for r in grid[:header_at]]
    writers.write_xlsx(path, title, {h: [r[i] for r in body] for i, h in enumerate(header)}, as_of)
    return {"swapped": 96, "removed": 2, "added": 1, "fixed": 1}


def _tables(settings) -> dict[str, pd.DataFrame]:
    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        bills = pd.read_sql(sa.select(storage.bills), conn).sort_values("bill_no").reset_index(drop=True)
        versions = pd.read_sql(sa.select(storage.bill_versions), conn)
        rejections = pd.read_sql(sa.select(storage.rejections), conn)
    versions["pushed"] = versions["pushed_at"].notna()
    versions = versions.drop(columns=["created_at", "pushed_at"] + [c for c in versions if c in ("id", "batch_id")])
    rejections = rejections.drop(columns=[c for c in rejections if c in ("id", "run_id")])
    out = {"bills": bills, "bill_versions": versions.sort_values(["bill_no", "version"]).reset_index(drop=True),
           "rejections": rejections.sort_values(["stage", "feed", "file", "row_no"]).reset_index(drop=True)}
    for name in COMPARED:
        frame = storage.read_staged(settings.staging / f"{name}.arrow")
        by = [c for c in ("key", "status", "source", "town", "village", "household_id", "category", "case")
              if c in frame]
        out[name] = frame.astype("str").sort_values(by).reset_index(drop=True)
    return out


def _lists(settings, as_of) -> dict[str, tuple[int, list]]:
    """Every town's and village's list in the day's outbox: (inode, cell values as openpyxl reads them)."""
    day = settings.outbox / as_of.isoformat()
    found = {}
    for path in sorted([*(day / "催缴名单").rglob("*.xlsx"), *(day / "公示名单").rglob("*.xlsx")]):
        book = openpyxl.load_workbook(path, read_only=True)
        cells = [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
        book.close()
        found[path.relative_to(day).as_posix()] = (path.stat().st_ino, cells)
    return found


def test_a_100_row_correction_recomputes_only_its_people_and_matches_a_full_run(settings, twin, county):
    source, summary = county
    for home in (settings, twin):
        shutil.copytree(source, home.inbox, ignore=shutil.ignore_patterns("_truth"))
        first = pipeline.run(home, as_of=summary.as_of, run_id="day")
        assert first["mode"] == "full"
    before = _lists(settings, summary.as_of)
    (roster,) = (settings.inbox / "民政").glob("*总名单.xlsx")
    changes = _correct_roster(settings, roster, summary.as_of)
    shutil.copy2(roster, twin.inbox / "民政" / roster.name)

    fixed = pipeline.run(settings, as_of=summary.as_of, run_id="fix")
    full = pipeline.run(twin, as_of=summary.as_of, run_id="fix", full=True)

    assert (fixed["mode"], full["mode"]) == ("correction", "full")
    assert [f for f, r in fixed["feeds"].items() if r["status"] != "unchanged"] == [FEED]
    assert 90 <= fixed["stages"]["identities"]["people_changed"] <= sum(changes.values())  # some have two rows
    assert fixed["bills"] == full["bills"] and fixed["bills"]["amended"] > 0 and fixed["bills"]["new"] >= 1
    assert fixed["bills"]["cancelled"] >= 1
    assert fixed["tax_push"]["pushed"] == full["tax_push"]["pushed"] > 0
    assert fixed["coverage"] == full["coverage"]
    mine, theirs = _tables(settings), _tables(twin)
    persons = storage.read_staged(settings.staging / "persons.arrow", columns=["key"])["key"]
    assert mine["bills"]["person_key"].isin(persons).all()  # exact keys (they exceed 2**53)
    for name, frame in theirs.items():
        pd.testing.assert_frame_equal(mine[name], frame, check_dtype=False, obj=name)
    # Only the corrected people's towns get new lists; every list reads as the full run's.
    lists, full_lists = _lists(settings, summary.as_of), _lists(twin, summary.as_of)
    assert {k: cells for k, (_, cells) in lists.items()} == {k: cells for k, (_, cells) in full_lists.items()}
    kept = [k for k, (inode, _) in lists.items() if before[k][0] == inode]
    assert 0 < len(kept) < len(lists), "a correction rewrites its towns' lists and keeps the others"
    assert any(lists[k][1] != before[k][1] for k in lists if k not in kept)

    assert fixed["reconciliation"] == full["reconciliation"]

    decisions = (settings.staging / "decisions.arrow").stat().st_mtime_ns
    again = pipeline.run(settings, as_of=summary.as_of, run_id="again")
    assert again["mode"] == "correction" and again["mode_reason"] == "各数据源均无更新"
    assert again["bills"]["new"] + again["bills"]["amended"] + again["bills"]["cancelled"] == 0
    assert _lists(settings, summary.as_of) == lists  # nothing changed: not one list written again
    # nor the decisions, nor reconciliation's work items (no bill changed or was pushed): the earlier run's stand
    assert (settings.staging / "decisions.arrow").stat().st_mtime_ns == decisions
    assert again["reconciliation"] == fixed["reconciliation"]
    items = storage.work_items
    with storage.engine(settings.warehouse_url).connect() as conn:
        assert set(conn.execute(sa.select(items.c.run_id).distinct().where(
            items.c.kind.in_(reconcile.KINDS))).scalars()) == {"fix"}

    # 残联 corrects disability grades, which move nobody's result in 闻喜 (it subsidises 丧失劳动能力的残疾人
    # whatever the grade): those people are recomputed, and the published decisions, statuses and counts stay as
    # they are, not written again — and still read as a full run's
    (disabled,) = (settings.inbox / "残联").glob("*.csv")
    regraded = _regrade(disabled, 10)
    shutil.copy2(disabled, twin.inbox / "残联" / disabled.name)
    stamps = {name: (settings.staging / f"{name}.arrow").stat().st_mtime_ns
              for name in ("decisions", "person_status", "coverage", "coverage_villages")}
    graded = pipeline.run(settings, as_of=summary.as_of, run_id="grade")
    full = pipeline.run(twin, as_of=summary.as_of, run_id="grade", full=True)
    assert graded["mode"] == "correction" and 0 < graded["stages"]["identities"]["people_changed"] <= regraded
    assert {name: (settings.staging / f"{name}.arrow").stat().st_mtime_ns for name in stamps} == stamps
    assert graded["coverage"] == full["coverage"] and graded["bills"] == full["bills"]
    earlier, (mine, theirs) = mine, (_tables(settings), _tables(twin))
    assert not mine["memberships"].equals(earlier["memberships"])  # the new grades reached the memberships
    for name, frame in theirs.items():
        pd.testing.assert_frame_equal(mine[name], frame, check_dtype=False, obj=name)


def _regrade(path, rows: int) -> int:
    """Rewrite the disability roster in place with ``rows`` people's grades changed (一级 ↔ 三级, 二级 ↔ 四级)."""
    frame = pd.read_csv(path, dtype="str", encoding="gb18030", keep_default_na=False)
    grade = {"一级": "三级", "二级": "四级", "三级": "一级", "四级": "二级"}
    picked = frame.index[frame["残疾等级"].isin(list(grade))][:rows]
    frame.loc[picked, "残疾等级"] = frame.loc[picked, "残疾等级"].map(grade)
    frame.to_csv(path, index=False, encoding="gb18030")
    return len(picked)


def test_a_changed_register_means_a_full_run_and_says_why(settings, county):
    source, summary = county
    shutil.copytree(source, settings.inbox, ignore=shutil.ignore_patterns("_truth"))
    pipeline.run(settings, as_of=summary.as_of)
    (register,) = (settings.inbox / "公安").glob("户籍*.csv")
    register.write_bytes(register.read_bytes() + register.read_bytes().splitlines(keepends=True)[1])
    rerun = pipeline.run(settings, as_of=summary.as_of)
    assert rerun["mode"] == "full" and "公安" in rerun["mode_reason"]
    later = pipeline.run(settings, as_of=summary.as_of.replace(day=summary.as_of.day - 1))
    assert later["mode"] == "full" and "统计日期" in later["mode_reason"]
