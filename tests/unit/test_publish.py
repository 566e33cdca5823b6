"""Publishing a stage table: audited, written aside, then swapped in; the replaced file is freed later."""

from __future__ import annotations

import os
import time

import pandas as pd
import pyarrow as pa
import pytest

from yibao import storage


def _flush_retired() -> None:
    storage._RETIRED.submit(lambda: None).result()  # the one retiring thread has done what was queued


def test_a_republished_table_replaces_the_old_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "decisions.arrow"
    storage.publish_frame(pd.DataFrame({"key": [1, 2], "fen": [10, 20]}), path)
    reader = storage.read_staged_table(path)  # a stage still reading yesterday's table (memory-mapped)
    storage.publish_frame(pa.table({"key": [3], "fen": [30]}), path)
    assert storage.read_staged(path).to_dict("list") == {"key": [3], "fen": [30]}
    assert reader.to_pydict() == {"key": [1, 2], "fen": [10, 20]}, "a reader keeps the table it opened"
    _flush_retired()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.arrow"]


def test_a_failed_audit_publishes_nothing(tmp_path):
    path = tmp_path / "decisions.arrow"
    storage.publish_frame(pd.DataFrame({"key": [1]}), path)

    def audit(frame):
        raise RuntimeError("资助金额与各资金来源合计不一致")

    with pytest.raises(RuntimeError, match="不一致"):
        storage.publish_frame(pd.DataFrame({"key": [2]}), path, audit=audit)
    _flush_retired()
    assert storage.read_staged(path)["key"].tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.arrow"]


def test_a_killed_publish_leaves_aside_files_that_the_next_run_clears_once_they_are_old(tmp_path):
    staging, outbox = tmp_path / "staging", tmp_path / "outbox" / "2023-12-25"
    staging.mkdir()
    outbox.mkdir(parents=True)
    table = staging / "decisions.arrow"
    storage.publish_frame(pd.DataFrame({"key": [1]}), table)
    orphans = [staging / ".decisions.arrow.4242.139.tmp", staging / ".persons.arrow.4242.139.old",
               outbox / ".东镇镇公示名单.xlsx.4242.tmp"]
    in_flight = staging / ".coverage.arrow.77.140.tmp"  # another worker writing right now
    kept = [table, staging / ".hidden-but-ours.json", outbox / "东镇镇公示名单.xlsx"]
    for path in [*orphans, in_flight, *kept[1:]]:
        path.write_bytes(b"x")
    now = time.time()
    for path in [*orphans, *kept]:
        os.utime(path, (now - storage.LEFTOVER_AGE - 60,) * 2)

    assert storage.sweep_leftovers([staging, tmp_path / "outbox", tmp_path / "not-made-yet"], now=now) == 3
    assert not any(p.exists() for p in orphans)
    assert in_flight.exists() and all(p.exists() for p in kept)
    assert storage.read_staged(table)["key"].tolist() == [1]


def test_each_run_starts_by_clearing_old_leftovers_but_never_touches_the_inbox(settings):
    from yibao import pipeline

    pipeline.init(settings)
    leftover = settings.staging / ".persons.arrow.4242.139.old"
    department_file = settings.inbox / "残联" / ".残疾人名单.xlsx.tmp"  # the inbox is the departments' folder
    department_file.parent.mkdir(parents=True)
    for path in (leftover, department_file):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - storage.LEFTOVER_AGE - 60,) * 2)
    pipeline.init(settings)
    assert not leftover.exists() and department_file.exists()


def test_a_killed_outbox_build_leaves_a_folder_aside_that_is_cleared_whole(tmp_path):
    day = tmp_path / "outbox" / "wenxi-2024" / "2023-12-25"
    aside = day.parent / ".2023-12-25.4242.tmp"  # outbox.replace_dir was building this day when killed
    (aside / "名单").mkdir(parents=True)
    (aside / "名单" / "东镇镇.xlsx").write_bytes(b"x")
    day.mkdir()
    (day / "东镇镇.xlsx").write_bytes(b"x")
    old = time.time() - storage.LEFTOVER_AGE - 60
    for path in (aside, aside / "名单", aside / "名单" / "东镇镇.xlsx", day, day / "东镇镇.xlsx"):
        os.utime(path, (old, old))
    assert storage.sweep_leftovers([tmp_path / "outbox"]) == 1
    assert not aside.exists() and (day / "东镇镇.xlsx").exists()


def test_an_aside_that_vanishes_while_the_sweep_looks_is_skipped(tmp_path, monkeypatch):
    gone, old = tmp_path / ".persons.arrow.4242.139.old", tmp_path / ".decisions.arrow.4242.139.old"
    for path in (gone, old):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - storage.LEFTOVER_AGE - 60,) * 2)
    lstat = storage.Path.lstat

    def racing(path):  # the retiring thread unlinks this aside between the listing and the look
        if path.name == gone.name:
            path.unlink()
        return lstat(path)

    monkeypatch.setattr(storage.Path, "lstat", racing)
    assert storage.sweep_leftovers([tmp_path]) == 1
    assert not old.exists() and not gone.exists()
