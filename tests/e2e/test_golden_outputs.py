"""Every business output of a generated county, digested and compared with a checked-in golden file, so a
rewrite of the internals (warehouse writes, staging, coverage, push) that changes any output fails here.

The county (3,000 people, seed 5, as of 2024-02-10: after the window, so late payers exist) is run once,
then again after 民政 resends its 总名单 without every fifth person (a correction run: amended and
cancelled bills, pushed to tax on top of what it had). After each run the test digests the warehouse
(bills, bill versions, push batches, rejections, work items, coverage tables, feed loads), the rows pushed
to the tax exchange, the per-person statuses and coverage aggregates, every file in the day's outbox (XLSX
read back as cell values) and the summary's numbers. Run ids, timestamps, surrogate ids and file
hashes are left out; bill numbers are digested on their own and rows are keyed by person.

Both backends are compared with the same file: SQLite and PostgreSQL must produce the same outputs.
Rows are sorted and values written in one canonical form (``canon``), so only representation (row order,
Decimal or int, pandas dtypes) is normalized away; readable row counts, fen totals and counts per kind
sit beside each SHA-256, and a failure lists every entry that changed.

To accept a deliberate change of outputs, regenerate the file and review its diff before committing::

    YIBAO_UPDATE_GOLDEN=1 PYTHONPATH=include .venv/bin/pytest -p no:cacheprovider tests/e2e/test_golden_outputs.py

(without ``-n``). The first backend to run writes the file and the other is compared with it, so an
update still fails when the backends disagree.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import pipeline, storage, synth
from yibao.outputs import outbox
from yibao.stages.files import stage_path

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden" / "wenxi-2024_3000_seed5.json"
UPDATE = os.environ.get("YIBAO_UPDATE_GOLDEN") == "1"
PEOPLE, SEED, AS_OF = 3000, 5, dt.date(2024, 2, 10)
RESENT_ROSTER = "民政/*总名单.xlsx"  # resent without every fifth data row
NULL = r"\N"
CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")  # when a file was made, not what it says
# Warehouse tables: columns left out (ids of runs and rows, times, hashes of input files), fen columns
# totalled and a column counted in the readable part.
WAREHOUSE = {
    "bills": ({"bill_no", "run_id"}, ("subsidy_fen", "personal_fen"), "status"),
    "bill_versions": ({"bill_no", "run_id", "created_at", "pushed_at"}, ("subsidy_fen",), "change"),
    "push_batches": ({"batch_id", "run_id", "created_at", "decided_at", "previous_batch"}, ("moved_fen",), "status"),
    "rejections": ({"id", "run_id"}, (), "feed"),
    "work_items": ({"id", "bill_no", "run_id"}, ("amount_fen",), "kind"),
    "coverage_by_town": ({"run_id"}, (), None),
    "coverage_daily": ({"run_id"}, (), None),
    "status_daily": ({"run_id"}, (), None),
    "feed_loads": ({"id", "run_id", "sha256", "loaded_at"}, (), "status"),
    "feed_files": ({"id", "run_id", "sha256", "size", "arrived_at"}, (), "role"),
}
STAGED = ["person_status", "coverage", "coverage_villages", "coverage_assisted", "partial_households",
          "refund_candidates"]
SUMMARY = ["mode", "bills", "coverage", "funds", "reconciliation", "tax_push", "approval", "tax_answers", "feeds"]
VOLATILE = {"batch_id", "freshness"}  # summary keys that name a run or depend on the wall clock


def canon(value) -> str:
    """One text per value whatever its representation: NULL, integral numbers without a point, dates as ISO
    days, aware times in UTC, other floats to 10 significant digits."""
    if value is None or value is pd.NA or value is pd.NaT:
        return NULL
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating | Decimal):
        if isinstance(value, float | np.floating) and math.isnan(value):
            return NULL
        return str(int(value)) if value == int(value) else format(float(value), ".10g")
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def digest(columns: list[str], rows, fen: tuple[str, ...] = (), by: str | None = None) -> dict:
    """SHA-256 of the rows as sorted canonical CSV, with the readable part: columns, row count, fen totals
    and rows per value of ``by``."""
    lines = sorted(tuple(canon(v) for v in row) for row in rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([columns, *lines])
    out = {"rows": len(lines), "sha256": hashlib.sha256(buffer.getvalue().encode()).hexdigest()}
    if columns:
        out["columns"] = columns
    at = {c: i for i, c in enumerate(columns)}
    out.update({f"{c}_total": sum(int(r[at[c]]) for r in lines if r[at[c]] != NULL) for c in fen})
    if by:
        counts: dict[str, int] = {}
        for row in lines:
            counts[row[at[by]]] = counts.get(row[at[by]], 0) + 1
        out["by_" + by] = dict(sorted(counts.items()))
    return out


def warehouse_digests(settings) -> dict:
    """The warehouse tables and the tax exchange's bills, keyed by person instead of bill number."""
    found = {}

    def observed(conn: sa.Connection, table: sa.Table, left_out: set[str], extra=()) -> tuple:
        keyed = "bill_no" in table.c and "person_key" not in table.c
        result = conn.execute(sa.select(*([table.c.bill_no.label("person_key")] if keyed else []),
                                        *(c for c in table.columns if c.name not in left_out), *extra))
        return list(result.keys()), [[person.get(r[0], NULL), *r[1:]] if keyed else r for r in result]

    with storage.engine(settings.warehouse_url).connect() as conn:
        person = dict(conn.execute(sa.select(storage.bills.c.bill_no, storage.bills.c.person_key)).all())
        found["bill_numbers"] = digest(["person_key", "bill_no"], [(k, b) for b, k in person.items()])
        for name, (left_out, fen, by) in WAREHOUSE.items():
            table = storage.metadata.tables[name]
            pushed = [table.c.pushed_at.is_not(None).label("pushed")] if name == "bill_versions" else []
            found[name] = digest(*observed(conn, table, left_out, pushed), fen, by)
    exchange = storage.engine(settings.tax_exchange_url)
    with exchange.connect() as conn:
        columns, rows = observed(conn, storage.tax_bills, {"bill_no", "pushed_at"})
    exchange.dispose()
    yuan = {columns.index("subsidy"), columns.index("personal")}
    in_fen = [[v * 100 if i in yuan else v for i, v in enumerate(r)] for r in rows]
    columns = [f"{c}_fen" if c in ("subsidy", "personal") else c for c in columns]
    found["tax_exchange_bills"] = digest(columns, in_fen, ("subsidy_fen", "personal_fen"), "change")
    return found


def staged_digests(settings) -> dict:
    """Per-person statuses and the coverage aggregates as published for the outputs."""
    found = {}
    for name in STAGED:
        frame = storage.read_staged(stage_path(settings, name))
        frame = frame.astype({c: "object" for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        rows = frame.astype("object").where(frame.notna(), None).itertuples(index=False, name=None)
        fen = tuple(c for c in frame.columns if c.endswith("_fen"))
        found[name] = digest(list(frame.columns), rows, fen, "status" if name == "person_status" else None)
    return found


def file_rows(path: Path) -> list[list[str]]:
    """A file's content as rows: XLSX cell values per sheet (its bytes hold the time it was written), CSV
    and HTML lines; times of day are masked (the report says when it was generated)."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        rows = [[sheet.title, *(canon(v) for v in row)] for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)]
        book.close()
    else:
        rows = [[line] for line in path.read_text(encoding="utf-8-sig").splitlines()]
    return [[CLOCK.sub("<time>", cell) for cell in row] for row in rows]


def outbox_digests(settings) -> dict:
    """Each entry of the day's outbox (a file, or a folder of them): files, rows and content."""
    day = outbox.day_dir(settings, AS_OF)
    found = {}
    for entry in sorted(day.iterdir()):
        files = sorted(p for p in ([entry] if entry.is_file() else entry.rglob("*")) if p.is_file())
        rows = [[str(f.relative_to(day)), str(n), *cells] for f in files for n, cells in enumerate(file_rows(f))]
        width = max((len(r) for r in rows), default=0)
        found[entry.name] = {"files": len(files), **digest([], [r + [""] * (width - len(r)) for r in rows])}
    return found


def summary_numbers(result: dict) -> dict:
    """The summary's business numbers, without what names a run or depends on the clock; keys sorted (feeds
    are summarized in the order they finish)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(value[k]) for k in sorted(value) if k not in VOLATILE}
        return value

    return strip({k: result[k] for k in SUMMARY})


def observe(settings, result: dict) -> dict:
    return {"summary": summary_numbers(result), "warehouse": warehouse_digests(settings),
            "staged": staged_digests(settings), "outbox": outbox_digests(settings)}


def resend_without_every_fifth(path: Path) -> int:
    """Rewrite a roster workbook without every fifth data row (what a corrected resend looks like)."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = next(row[0].row for row in sheet.iter_rows() if "序号" in [str(c.value) for c in row])
    removed = list(range(header + 1, sheet.max_row + 1))[4::5]
    for row in reversed(removed):
        sheet.delete_rows(row)
    book.save(path)
    return len(removed)


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def changes(golden: dict, now: dict) -> list[str]:
    """Every entry that differs, as ``name: golden → now``."""
    old, new = flat(golden), flat(now)
    return [f"{k}: {old.get(k, '(absent)')!r} → {new.get(k, '(absent)')!r}"
            for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]


_written: list[str] = []  # backends that wrote the golden file in this session (update mode)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", PEOPLE, SEED, out, as_of=AS_OF)
    return out, summary


def test_outputs_equal_the_golden_file(settings, county, tmp_path):
    source, summary = county
    assert summary.as_of == AS_OF
    inbox = tmp_path / "inbox"
    shutil.copytree(source, inbox, ignore=shutil.ignore_patterns("_truth"))
    settings = dataclasses.replace(settings, inbox=inbox)

    first = pipeline.run(settings, as_of=AS_OF)
    observed = {"first_run": observe(settings, first)}
    (roster,) = inbox.glob(RESENT_ROSTER)
    assert resend_without_every_fifth(roster) > 0
    corrected = pipeline.run(settings, as_of=AS_OF)
    observed["roster_resent"] = observe(settings, corrected)
    # The scenario does what it is for: a correction run that amends and cancels bills and pushes them.
    assert corrected["mode"] == "correction", corrected["mode_reason"]
    assert corrected["bills"]["amended"] > 0 and corrected["bills"]["cancelled"] > 0, corrected["bills"]
    assert corrected["tax_push"]["pushed"] == corrected["bills"]["amended"] + corrected["bills"]["cancelled"]

    now = {"scenario": {"county": "wenxi-2024", "people": PEOPLE, "seed": SEED, "as_of": AS_OF.isoformat(),
                        "resent_roster": RESENT_ROSTER}, "steps": observed}
    backend = sa.engine.make_url(settings.warehouse_url).get_backend_name()
    if UPDATE and not _written:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(now, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        _written.append(backend)
        return
    assert GOLDEN.is_file(), f"no golden file {GOLDEN}: create it with YIBAO_UPDATE_GOLDEN=1 (see the docstring)"
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = changes(golden, json.loads(json.dumps(now)))
    written = f" (written by {_written[0]} in this session)" if _written else ""
    if changed:
        pytest.fail(f"{backend}: outputs differ from {GOLDEN.name}{written}:\n" + "\n".join(changed), pytrace=False)
