"""Real-world mess in one inbox: every bad drop fails (or is trimmed in) its own feed only, the other feeds
complete, and no full ID number or name appears in the summary, the logs or the warehouse.

Runs on SQLite and PostgreSQL, on a generated county with one bad input per department.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
import xlsxwriter
from python_calamine import CalamineWorkbook

from yibao import pipeline, storage, synth
from yibao.synth import writers


def _one(folder, pattern):
    (path,) = folder.glob(pattern)
    return path


def _ragged_row(inbox) -> int:
    """Put an unquoted comma into the name on the 5th data row of 卫健's CSV; returns that row number."""
    path = _one(inbox / "卫健", "*.csv")
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    cells = lines[5].split(",")
    cells[2] = cells[2][0] + "," + cells[2][1:]
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    return 5


def _far_off_cell(inbox) -> None:
    path = _one(inbox / "民政", "*总名单.xlsx")
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write_string(1048575, 16383, "x")
    wb.close()


def _zip_bomb(inbox) -> None:
    path = _one(inbox / "乡村振兴", "*.xlsx")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * (40 << 20) + b"</worksheet>")


def _symlinked_file(inbox, outside) -> str:
    real = _one(inbox / "残联", "*.csv")
    target = outside / "另一份残疾人名单.csv"
    target.write_bytes(real.read_bytes() + "桐城镇,小张村,外来,140823194001011236,残疾人,二级,肢体\n".encode("gb18030"))
    link = real.with_name(real.name.replace("20231225", "20231226"))
    link.symlink_to(target)
    return link.name


def _symlinked_folder(inbox, outside) -> None:
    moved = outside / "退役军人"
    shutil.move(inbox / "退役军人", moved)
    (inbox / "退役军人").symlink_to(moved, target_is_directory=True)


def _hidden_file(inbox) -> str:
    real = _one(inbox / "卫健", "*.csv")
    hidden = real.with_name("." + real.name)
    shutil.copy(real, hidden)
    return hidden.name


def _shifted_columns(inbox, as_of) -> list[int]:
    """Shift the cells of the first 动态调整 row one column right from 姓名 on (ID lands in 调整类型)."""
    path = _one(inbox / "民政", "*动态调整*.xlsx")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    header_at = next(i for i, r in enumerate(rows) if "序号" in [str(c) for c in r])
    header = [str(c) for c in rows[header_at]]
    body = [[str(c) for c in r] for r in rows[header_at + 1 :]]
    for r in (0,):
        body[r] = body[r][:3] + [body[r][2]] + body[r][3:-1]
    title = [str(r[0]) for r in rows[:header_at]]
    writers.write_xlsx(path, title, {h: [r[i] for r in body] for i, h in enumerate(header)}, as_of)
    return [1]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 12000, 5, out)
    return out, summary


def test_each_bad_input_fails_only_its_own_feed_and_leaks_nothing(settings, county, tmp_path, caplog):
    source, summary = county
    inbox = tmp_path / "inbox"
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copytree(source, inbox, ignore=shutil.ignore_patterns("_truth"))
    ragged_at = _ragged_row(inbox)
    hidden_name = _hidden_file(inbox)  # a copy of 卫健's drop (with the ragged row) that must not be read twice
    _far_off_cell(inbox)
    _zip_bomb(inbox)
    link_name = _symlinked_file(inbox, outside)
    _symlinked_folder(inbox, outside)
    shifted = _shifted_columns(inbox, summary.as_of)

    caplog.set_level(logging.DEBUG)
    result = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=summary.as_of)
    feeds = result["feeds"]

    failed = {f: r["error"] for f, r in feeds.items() if r["status"] == "failed"}
    assert set(failed) == {"minzheng_zongmingdan", "xiangcun_zongmingdan", "canlian", "tuiyi"}, feeds
    assert "（民政局）" in failed["minzheng_zongmingdan"] and "16384 列" in failed["minzheng_zongmingdan"]
    assert "压缩比异常" in failed["xiangcun_zongmingdan"]
    assert f"文件“残联/{link_name}”是符号链接" in failed["canlian"]
    assert "文件夹“退役军人”是符号链接" in failed["tuiyi"]
    assert all(r["status"] == "ok" for f, r in feeds.items() if f not in failed)
    assert feeds["weijian"]["refused"] == [{"file": f"卫健/{hidden_name}", "reason": "隐藏文件或临时文件，未导入"}]
    assert result["coverage"]["should_insure"] > 0

    # The file behind the symlink was never copied into landing.
    landed = {p.name for p in (settings.landing / "canlian").glob("*")}
    assert len(landed) == 1

    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        rejected = pd.DataFrame(conn.execute(sa.select(storage.rejections)).mappings().all())
        loads = pd.DataFrame(conn.execute(sa.select(storage.feed_loads)).mappings().all())
        files = pd.DataFrame(conn.execute(sa.select(storage.feed_files)).mappings().all())
    codes = rejected.set_index(["feed", "row_no"])["reason_codes"]
    assert codes[("weijian", ragged_at)] == "ROW_RAGGED"
    for row in shifted:
        assert "CHANGE_TYPE_BAD" in codes[("minzheng_tiaozheng", row)]
    assert set(loads.loc[loads["status"] == "failed", "feed"]) == set(failed)
    assert (files.loc[files["role"] == "refused", "file"].str.contains(link_name)).any()

    # 卫健 gets its ragged row back in its feedback workbook, raw text included, beside its other rows.
    book = openpyxl.load_workbook(Path(result["outputs"]["feedback"]) / f"卫健局_数据反馈_{summary.as_of}.xlsx")
    sheet = list(book.worksheets[1].iter_rows(values_only=True))
    raw_at = sheet[0].index("原始内容（列数不符的行）")
    (ragged,) = [r for r in sheet[1:] if r[-1] == ragged_at]
    assert ragged[-4] == "ROW_RAGGED" and ragged[raw_at].count(",") == 5

    # No full ID number or name anywhere a person or a log reader sees it.
    truth = pd.read_parquet(source / "_truth" / "persons.parquet")
    seen = "\n".join([
        json.dumps(result, ensure_ascii=False), caplog.text,
        *rejected["reason_text"], *rejected["id_masked"].fillna(""), *loads["error"].fillna(""),
        *files["reason"].fillna(""),
    ])
    ids_seen = set(re.findall(r"\d{17}[\dXx]|\d{15}", seen))
    assert not ids_seen & set(truth["id_number"]), "a full ID number leaked"
    assert not [n for n in truth["name"].unique() if len(n) >= 2 and n in seen], "a name leaked"
