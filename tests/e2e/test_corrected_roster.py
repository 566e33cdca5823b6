"""An old roster and its corrected version side by side: the newer one (by the date in its name) is the
roster, the old one stays landed and is listed as superseded, and people the correction removed have
their bills cancelled. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from yibao import pipeline, storage, synth
from yibao.cli import main as cli_main
from yibao.masking import mask_id
from yibao.synth import writers

FEED = "minzheng_zongmingdan"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 6000, 17, out)
    return out, summary


def _write_without(old, new, rows: set[int], as_of) -> int:
    """A copy of the workbook ``old`` (title rows and header kept) minus the given data rows."""
    grid = CalamineWorkbook.from_path(str(old)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    header_at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    header = [str(c) for c in grid[header_at]]
    body = [[str(c) for c in r] for n, r in enumerate(grid[header_at + 1 :], start=1) if n not in rows]
    title = [str(r[0]) for r in grid[:header_at]]
    writers.write_xlsx(new, title, {h: [r[i] for r in body] for i, h in enumerate(header)}, as_of)
    return len(body)


def test_the_corrected_roster_replaces_the_old_one_and_cancels_removed_people(settings, county, tmp_path,
                                                                             monkeypatch, capsys):
    source, summary = county
    inbox = tmp_path / "inbox"
    shutil.copytree(source, inbox, ignore=shutil.ignore_patterns("_truth"))
    settings = dataclasses.replace(settings, inbox=inbox)
    first = pipeline.run(settings, as_of=summary.as_of)
    assert first["feeds"][FEED]["superseded"] == []

    # People assisted only through this roster, one roster row each: the correction removes five of them.
    members = storage.read_staged(settings.staging / "memberships.arrow")
    only_here = members.groupby("key")["source"].agg(set).map(lambda s: s == {FEED})
    staged = storage.read_staged(settings.staging / "feeds" / f"{FEED}.arrow")
    single = staged.groupby("key")["_row"].agg(list)
    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        billed = pd.DataFrame(conn.execute(sa.select(storage.bills.c.person_key, storage.bills.c.bill_no,
                                                     storage.bills.c.subsidy_fen)).mappings().all())
    billed = billed[billed["subsidy_fen"] > 0].set_index("person_key")["bill_no"]
    chosen = [k for k in only_here[only_here].index if k in billed.index and len(single.get(k, [])) == 1][:5]
    assert len(chosen) == 5
    removed_rows = {single[k][0] for k in chosen}

    (old,) = (inbox / "民政").glob("*总名单.xlsx")
    corrected = old.with_name(f"{old.stem}（更正）_20231228.xlsx")
    kept = _write_without(old, corrected, removed_rows, summary.as_of)

    second = pipeline.run(settings, as_of=summary.as_of)
    feed = second["feeds"][FEED]
    assert feed["status"] == "ok" and feed["files"] == 1
    assert feed["superseded"] == [f"民政/{old.name}"]
    assert feed["rows_read"] == kept  # the old roster's rows are not merged in
    assert second["bills"]["cancelled"] == 5

    with engine.connect() as conn:
        status = dict(conn.execute(sa.select(storage.bills.c.person_key, storage.bills.c.status)
                                   .where(storage.bills.c.person_key.in_([int(k) for k in chosen]))).all())
        files = pd.DataFrame(conn.execute(sa.select(storage.feed_files).where(
            storage.feed_files.c.feed == FEED, storage.feed_files.c.run_id == second["run_id"])).mappings().all())
    assert status == dict.fromkeys(chosen, "cancelled")
    assert dict(zip(files["file"], files["role"], strict=True)) == {
        f"民政/{old.name}": "superseded", f"民政/{corrected.name}": "used"}
    assert (settings.landing / FEED / f"{files.set_index('role').loc['superseded', 'sha256']}.xlsx").exists()

    # Why someone still holds their status: the corrected file and its row (CLI output masks the ID).
    staged_now = storage.read_staged(settings.staging / "feeds" / f"{FEED}.arrow")
    person = staged_now[staged_now["key"].isin(only_here[only_here].index)].iloc[0]
    why = pipeline.explain_membership(settings, person["id_number"], summary.as_of).iloc[0]
    assert (why["member"], why["decided_by"], why["file"], why["row"]) == (
        True, "roster", f"民政/{corrected.name}", person["_row"])
    monkeypatch.setenv("YIBAO_HOME", str(settings.home))
    assert cli_main(["pipeline", "explain", "--county", "wenxi-2024", "--id", person["id_number"],
                     "--on", summary.as_of.isoformat()]) == 0
    printed = capsys.readouterr().out
    assert mask_id(person["id_number"]) in printed and person["id_number"] not in printed
    assert f"{corrected.name} 第{person['_row']}行（总名单）" in printed
