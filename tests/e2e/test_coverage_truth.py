"""Coverage outputs against the generator's ground truth, on SQLite and PostgreSQL: every person's status,
town and village counts and rates, partly paid households, the towns' reminder lists, the masked 公示
lists, late payers' benefit start, and a corrected roster that changes one day and leaves the earlier
day's snapshot and outbox alone.

The county is generated as of 2024-02-10, after 闻喜's window closed on 2023-12-25, so late payers exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from yibao import pipeline, policy, storage, synth
from yibao.stages.coverage import load_person_status

AS_OF = dt.date(2024, 2, 10)
WINDOW_END = pd.Timestamp("2023-12-25")
FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("cov") / "wenxi-2024"
    synth.generate("wenxi-2024", 6000, 23, out, as_of=AS_OF)
    truth = pd.read_parquet(out / "_truth" / "persons.parquet")
    defects = pd.read_parquet(out / "_truth" / "defects.parquet")
    return out, truth, defects


def rows(path, sheet: int = 0) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(sheet).to_python()


def expected_status(truth: pd.DataFrame) -> pd.Series:
    """The status the truth implies, with the same precedence the pipeline documents."""
    personal = policy.load("wenxi-2024").personal_fen
    assisted = truth["personal_fen"] < personal
    late = truth["paid"] & (truth["paid_date"] > WINDOW_END)
    choices = [
        (~truth["alive"], "excluded_deceased"), (truth["moved_out"], "excluded_moved_out"),
        (truth["employee_insured"], "excluded_employee"), (truth["insured_elsewhere"], "excluded_elsewhere"),
        (late, "paid_late"), (assisted & truth["paid"], "assisted_paid"), (assisted, "assisted_unpaid"),
        (truth["paid"], "paid"),
    ]
    status = pd.Series("unpaid", index=truth.index)
    for mask, code in reversed(choices):
        status[mask.to_numpy()] = code
    return status


@pytest.fixture
def ran(settings, county):
    inbox = county[0]
    result = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=AS_OF)
    statuses = load_person_status(settings)
    return result, statuses


def test_every_person_status_and_the_counts_match_the_truth(settings, county, ran):
    _, truth, defects = county
    result, statuses = ran
    considered = truth[truth["in_register"] | truth["residence_permit"]]
    untouched = considered[~considered["key"].isin(set(defects["key"]))]
    got = statuses.set_index("key")["status"].reindex(untouched["key"])
    assert got.notna().all(), "people missing from the statuses"
    want = expected_status(untouched).set_axis(untouched["key"])
    wrong = got[got != want]
    assert wrong.empty, pd.DataFrame({"got": wrong, "want": want[wrong.index]}).head(20)
    assert set(want) >= {"paid", "paid_late", "assisted_paid", "unpaid", "excluded_deceased", "excluded_employee"}

    by_status = result["coverage"]["by_status"]
    assert sum(by_status.values()) == len(statuses) == statuses["key"].nunique()
    assert by_status == statuses["status"].value_counts().reindex(list(by_status), fill_value=0).to_dict()
    assert result["coverage"]["late"] == by_status["paid_late"] > 0

    # Town and village counts and rates equal the truth for everyone whose register row was usable.
    register_rejected = set(defects.loc[(defects["feed"] == "gongan_huji") & (defects["expect"] == "reject"), "key"])
    should = considered[considered["should_insure"] & ~considered["key"].isin(register_rejected)]
    for level, keys in (("coverage", ["town"]), ("coverage_villages", ["town", "village"])):
        table = storage.read_staged(settings.staging / f"{level}.arrow").set_index(keys)
        want_counts = should.groupby(keys).agg(should_insure=("key", "size"), paid=("paid", "sum"))
        got_counts = table.loc[want_counts.index, ["should_insure", "paid"]]
        assert (got_counts.to_numpy() == want_counts.to_numpy()).all(), level
        assert (table.loc[want_counts.index, "rate"] - want_counts["paid"] / want_counts["should_insure"]).abs().max() < 1e-12

    # Households where some members paid and others did not.
    homes = should[should["household_id"] != ""].groupby(["town", "village", "household_id"])["paid"].agg(["sum", "size"])
    want_partial = set(homes[(homes["sum"] > 0) & (homes["sum"] < homes["size"])].index)
    got_partial = storage.read_staged(settings.staging / "partial_households.arrow")
    assert set(got_partial[["town", "village", "household_id"]].itertuples(index=False, name=None)) == want_partial
    assert len(want_partial) > 0


def test_reminder_lists_hold_each_towns_gap_and_nothing_else(settings, ran):
    result, statuses = ran
    folder = result["outputs"]["reminder_lists"]
    gap = statuses[statuses["should_insure"] & statuses["status"].isin(["unpaid", "assisted_unpaid"])]
    seen = 0
    for town, people in gap.groupby("town"):
        sheet = rows(f"{folder}/{town}.xlsx")
        assert sheet[0][0].startswith(f"{town} 2024年度") and sheet[2][:4] == ["村（社区）", "户号", "与户主关系", "姓名"]
        listed = sorted((r[0], r[1], r[3], r[4]) for r in sheet[3:])
        masked = people["id_number"].str.slice(0, 6) + "********" + people["id_number"].str.slice(14)
        assert listed == sorted(zip(people["village"], people["household_id"], people["name"], masked, strict=True)), town
        assert not any(FULL_ID.search(str(c)) for r in sheet for c in r)
        seen += len(listed)
    assert seen == result["coverage"]["gap"] == len(gap)
    book = CalamineWorkbook.from_path(f"{folder}/{gap['town'].iloc[0]}.xlsx")
    assert book.sheet_names == ["未缴费人员", "部分缴费家庭"]

    # Each partly paid household names its unpaid members, in the order the first sheet lists them.
    homes = 0
    for town in gap["town"].unique():
        people, households = (rows(f"{folder}/{town}.xlsx", sheet) for sheet in (0, 1))
        unpaid = {}
        for r in people[3:]:
            unpaid.setdefault((r[0], r[1]), []).append(r[3])
        assert households[1] == ["村（社区）", "户号", "应参保人数", "已缴人数", "未缴人数", "未缴人员"]
        for village, household, _, _, count, names in households[2:]:
            assert names.split("、") == unpaid[(village, household)] and int(count) == len(unpaid[(village, household)])
            homes += 1
    assert homes == len(storage.read_staged(settings.staging / "partial_households.arrow")) > 0


def test_notice_lists_are_masked_per_village(settings, county, ran):
    _, truth, _ = county
    result, statuses = ran
    paid = statuses[statuses["should_insure"] & statuses["status"].isin(["paid", "paid_late", "assisted_paid"])]
    full_names = set(truth.loc[truth["name"].str.len() >= 2, "name"])
    files = sorted(Path(result["outputs"]["notice_lists"]).rglob("*.xlsx"))
    assert len(files) == paid.groupby(["town", "village"]).ngroups
    listed = 0
    for path in files:
        sheet = rows(path)
        town, village = path.parent.name, path.stem
        assert sheet[0][0] == f"{town}{village} 2024年度城乡居民基本医疗保险参保缴费公示"
        body = sheet[3:]
        here = paid[(paid["town"] == town) & (paid["village"] == village)]
        assert len(body) == len(here)
        for r in body:
            assert not FULL_ID.search(str(r[2])) and r[2][6:14] == "********"
            assert r[1] not in full_names and "*" in r[1]
        listed += len(body)
    assert listed == len(paid)


def test_late_payers_start_three_months_after_paying(settings, county, ran):
    _, truth, defects = county
    result, statuses = ran
    sheet = rows(result["outputs"]["late_payers"])
    header, body = sheet[1], sheet[2:]
    assert header[:4] == ["镇街", "村（社区）", "姓名", "身份证号码"]
    late = statuses[statuses["status"] == "paid_late"]
    assert len(body) == len(late) > 0
    start = dict(zip(late["id_number"], late["benefit_start"], strict=True))
    clean = truth[truth["paid"] & (truth["paid_date"] > WINDOW_END) & ~truth["key"].isin(set(defects["key"]))]
    for person in clean.itertuples():  # 闻政办发〔2023〕29号 五（二）: 从缴费之日起满三个月后方可享受
        assert start[person.id_number] == pd.Timestamp(person.paid_date) + pd.DateOffset(months=3)
    assert {r[header.index("依据条款")] for r in body} == {"闻政办发〔2023〕29号 五（二）"}


def test_report_and_summary_contract(settings, ran):
    result, _ = ran
    outputs = result["outputs"]
    assert set(outputs) >= {"report_xlsx", "report_html", "reminder_lists", "notice_lists", "refund_candidates",
                            "late_payers"}
    book = CalamineWorkbook.from_path(outputs["report_xlsx"])
    assert book.sheet_names == ["总览", "镇街进度", "村居进度", "资助对象", "参保状态", "每日趋势"]
    towns = book.get_sheet_by_name("镇街进度").to_python()[2:]
    assert sum(r[2] for r in towns) == result["coverage"]["should_insure"]
    html = Path(outputs["report_html"]).read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "<script" not in html
    assert html.count("<svg") == 4 and not FULL_ID.search(html)


def _snapshot(settings, as_of: dt.date) -> tuple:
    with storage.engine(settings.warehouse_url).connect() as conn:
        towns = conn.execute(sa.select(storage.coverage_daily.c.town, storage.coverage_daily.c.paid,
                                       storage.coverage_daily.c.assisted_should)
                             .where(storage.coverage_daily.c.as_of == as_of).order_by(storage.coverage_daily.c.town)).all()
        statuses = conn.execute(sa.select(storage.status_daily.c.status, storage.status_daily.c.persons)
                                .where(storage.status_daily.c.as_of == as_of)
                                .order_by(storage.status_daily.c.status)).all()
    return tuple(map(tuple, towns)), tuple(map(tuple, statuses))


def _digests(folder) -> dict:
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_a_corrected_roster_changes_its_day_and_keeps_earlier_days(settings, county, tmp_path):
    inbox, _, _ = county
    corrected = tmp_path / "inbox"
    shutil.copytree(inbox, corrected, ignore=shutil.ignore_patterns("_truth"))
    here = dataclasses.replace(settings, inbox=corrected)
    day1, day2 = dt.date(2023, 12, 10), dt.date(2023, 12, 20)
    pipeline.run(here, as_of=day1)
    first = pipeline.run(here, as_of=day2)
    snap1, snap2 = _snapshot(settings, day1), _snapshot(settings, day2)
    folder1 = settings.outbox / day1.isoformat()
    before = _digests(folder1)
    assert snap1 != snap2, "a later day shows more payments"

    # 残联 resends its roster without a third of its people: fewer assisted people on day 2.
    roster = next((corrected / "残联").glob("*.csv"))
    raw = roster.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"
    lines = raw.decode(encoding).splitlines(keepends=True)
    kept = [line for i, line in enumerate(lines) if i == 0 or i % 3]
    roster.write_bytes("".join(kept).encode(encoding))
    again = pipeline.run(here, as_of=day2)

    assert _snapshot(settings, day1) == snap1, "an earlier day's snapshot is never rewritten"
    assert _digests(folder1) == before, "an earlier day's outbox is never rewritten"
    towns2, statuses2 = _snapshot(settings, day2)
    assert sum(t[2] for t in towns2) < sum(t[2] for t in snap2[0]), "fewer assisted people after the correction"
    assert len(statuses2) == len(snap2[1]), "the day's snapshot is replaced, not duplicated"
    assert again["coverage"]["by_status"] != first["coverage"]["by_status"]
    with storage.engine(settings.warehouse_url).connect() as conn:
        days = conn.execute(sa.select(storage.coverage_daily.c.as_of).distinct()).scalars().all()
    assert sorted(days) == [day1, day2]
