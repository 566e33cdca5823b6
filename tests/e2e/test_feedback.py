"""Feedback workbooks read back with openpyxl: each department's workbook holds exactly its rejected rows
(staging and register cross-check), in its own layout, with the right codes and ID suggestions, and no
formulas. Together the workbooks are exactly the rows rejected that day. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from yibao import pipeline, storage, synth
from yibao.masking import mask_id
from yibao.sources import load_sources

PROBLEM_HEADERS = ["问题代码", "问题说明", "建议身份证号码", "原表行号"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 6000, 11, out)
    return out, summary


def _original(inbox: Path, file: str) -> tuple[list[str], list[str], list[list[str]]]:
    """(title rows, header, data rows) of a department's XLSX as it sent it."""
    grid = CalamineWorkbook.from_path(str(inbox / file)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    return [str(r[0]) for r in grid[:at]], [str(c) for c in grid[at]], grid[at + 1 :]


def test_each_department_gets_exactly_its_rejected_rows_in_its_layout(settings, county):
    inbox, summary = county
    result = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=summary.as_of)
    folder = Path(result["outputs"]["feedback"])
    assert folder.parent.name == summary.as_of.isoformat() and folder.is_dir()

    sources = load_sources()
    feed_of = {(s.department, s.title): f for f, s in sources.items()}
    got: dict[tuple[str, str, int], tuple[str, str]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        department = path.name.split("_")[0]
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[0] == "说明"
        assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row), "a formula cell"
        cover = [r for r in wb["说明"].iter_rows(values_only=True)]
        # how 原表行号 counts (data rows under the header, as checked against the sent rows below) is said
        assert any("原表行号（表头下的第几行数据，不计标题行和表头" in str(r[0]) for r in cover)
        for ws in wb.worksheets[1:]:
            feed = feed_of[(department, ws.title)]  # a sheet of another department's feed would raise here
            source = sources[feed]
            (file,) = _files(settings, feed)  # the generator sends one file per feed
            rows = list(ws.iter_rows(values_only=True))
            header_at = next(i for i, r in enumerate(rows) if r[-4:] == tuple(PROBLEM_HEADERS))
            header = list(rows[header_at][:-4])
            if source.format == "xlsx":
                title, sent_header, sent_rows = _original(inbox, file)
                assert [r[0] for r in rows[:header_at]] == title  # the template's title rows
                assert header == sent_header  # the department's own columns, in its order
                id_at = header.index(source.header("id_number"))
            for r in rows[header_at + 1 :]:
                row_no = int(r[-1])
                got[(feed, file, row_no)] = (r[-4], r[-2] or "")
                if source.format == "xlsx":  # the cells are the department's, as sent
                    assert str(r[id_at]) == str(sent_rows[row_no - 1][id_at]).removesuffix(".0") or \
                        "EXCEL" in r[-4]
        # The cover counts each problem of this department's rows once per row.
        counted = {c[0]: c[2] for c in cover if c[0] and isinstance(c[2], int)}
        mine = [codes for (f, _, _), (codes, _) in got.items() if sources[f].department == department]
        assert counted == pd.Series(",".join(mine).split(",")).value_counts().to_dict()

    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        rejected = pd.DataFrame(conn.execute(sa.select(storage.rejections)).mappings().all())
    want = rejected.groupby(["feed", "file", "row_no"])["reason_codes"].agg(lambda s: set(",".join(s).split(",")))
    assert set(got) == set(want.index)  # exactly the day's rejected rows, staging and cross-check
    for key, codes in want.items():
        assert set(got[key][0].split(",")) == codes, key
    suggested = rejected.set_index(["feed", "file", "row_no"])["suggested_id_masked"].dropna()
    assert len(suggested) > 0
    for key, masked in suggested.items():
        assert mask_id(got[key][1]) == masked, key
    # Every department with a rejected row has its workbook, and only those.
    departments = {sources[f].department for f in rejected["feed"]}
    assert {p.name.split("_")[0] for p in folder.glob("*.xlsx")} == departments
    assert result["stages"]["feedback"]["rows"] == len(want)


def _files(settings, feed: str) -> list[str]:
    path = settings.staging / "rejections" / f"{feed}.arrow"
    files = set(storage.read_staged(path, columns=["_file"])["_file"]) if path.exists() else set()
    cross = storage.read_staged(settings.staging / "rejections" / "_crosscheck.arrow")
    if len(cross):
        files |= set(cross.loc[cross["source"] == feed, "_file"])
    return sorted(files)
