"""Drops as departments keep them, each giving the day's results of the same data sent plainly (a twin
home), on SQLite and PostgreSQL:

- a roster kept one sheet per town, beside a sheet of notes and last month's roster hidden away: every
  town's sheet is read; the hidden and the notes sheets are named in the feed's summary and not read;
  rejected rows go back under the department's own sheet names and row numbers;
- a roster's own furniture (a numbered section heading, a header repeated where town lists were pasted
  together, 小计/合计, 填表人 and the unit's stamp under it) is passed over and named, not rejected as people;
- a town merged over its rows under a two-row merged header, which its feedback gives back as sent;
- dates, amounts and years as systems and clerks write them (a tax export's time of day, ￥380.00元,
  2024年度, a date column formatted as General showing Excel's serial numbers);
- a roster saved as Excel's Unicode text (UTF-16, tabs, ``.txt``); and one saved as legacy ``.xls``
  (WPS's default), landed and read as the current drop."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
import xlsxwriter
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from yibao import pipeline, storage, synth
from yibao.readers import csv_as_utf8

FEED = "minzheng_zongmingdan"
STAGED = ["memberships", "decisions", "person_status", "coverage"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 4000, 13, out)
    return out, summary


def _write(day, sheet, rows: list[list]) -> None:
    """Cells as calamine read them, of the same types: numbers stay numbers (an ID Excel damaged stays
    damaged), dates stay dates."""
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            if isinstance(value, float):
                sheet.write_number(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
            elif value not in ("", None):
                sheet.write_string(r, c, str(value))


def _split_by_town(path) -> dict[str, list[list]]:
    """Rewrite the roster workbook one sheet per town (each with the title rows and the header, cells of the
    same types), after a notes sheet and before a hidden sheet holding someone who is not on the roster;
    returns each town's data rows as written."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    header = [str(c) for c in grid[at]]
    town_at = next(i for i, h in enumerate(header) if h.startswith("乡镇"))
    towns: dict[str, list[list]] = {}
    for row in grid[at + 1 :]:
        towns.setdefault(str(row[town_at]), []).append(row)
    book = xlsxwriter.Workbook(str(path))
    write = partial(_write, book.add_format({"num_format": "yyyy-mm-dd"}))
    write(book.add_worksheet("填表说明"), [["每个乡镇一个工作表；人员类别请从下拉列表选择"]])
    for town, rows in towns.items():
        write(book.add_worksheet(town), [*grid[:at], grid[at], *rows])
    hidden = book.add_worksheet("上月名单")
    stranger = list(grid[at + 1])
    stranger[header.index("身份证号码（务必正确）")] = "140823194001011239"
    write(hidden, [grid[at], stranger])
    hidden.hide()
    book.close()
    return towns


def _inboxes(county, *homes):
    """The generated county's drops in each home's inbox; its summary."""
    source, summary = county
    for home in homes:
        shutil.copytree(source, home.inbox, ignore=shutil.ignore_patterns("_truth"))
    return summary


def _same_day(settings, twin, summary) -> tuple[dict, dict]:
    """The day run on the drops as kept (``settings``) and as sent plainly (``twin``): every result table
    equal (:func:`_outputs`); both runs' summaries."""
    day = pipeline.run(settings, as_of=summary.as_of, run_id="day")
    plain = pipeline.run(twin, as_of=summary.as_of, run_id="day")
    got, want = _outputs(settings), _outputs(twin)
    for table in want:
        pd.testing.assert_frame_equal(got[table], want[table], obj=table)
    return day, plain


def _outputs(settings) -> dict[str, pd.DataFrame]:
    with storage.engine(settings.warehouse_url).connect() as conn:
        bills = pd.read_sql(sa.select(storage.bills), conn).drop(columns=["run_id"])
        rejections = pd.read_sql(sa.select(storage.rejections), conn)
    out = {"bills": bills.sort_values("bill_no").reset_index(drop=True),
           # the same people rejected for the same reasons (files and row numbers differ: sheets)
           "rejections": rejections[["stage", "feed", "id_masked", "town", "reason_codes", "suggested_id_masked"]]
           .sort_values(["stage", "feed", "id_masked", "reason_codes"]).reset_index(drop=True)}
    for name in STAGED:
        frame = storage.read_staged(settings.staging / f"{name}.arrow").astype("str")
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def test_a_roster_sent_one_sheet_per_town_gives_the_days_results_of_the_same_roster_on_one_sheet(
        settings, twin, county):
    summary = _inboxes(county, settings, twin)
    (roster,) = (settings.inbox / "民政").glob("*总名单.xlsx")
    towns = _split_by_town(roster)
    assert len(towns) > 5

    split, whole = _same_day(settings, twin, summary)
    feed = split["feeds"][FEED]
    assert feed["status"] == "ok" and feed["rows_read"] == whole["feeds"][FEED]["rows_read"]
    name = f"民政/{roster.name}"
    assert feed["sheets_skipped"] == [f"{name}：填表说明（无规定表头）", f"{name}：上月名单（隐藏）"]
    assert whole["feeds"][FEED]["sheets_skipped"] == []

    # Each rejected roster row names its sheet and its row there, and goes back on that sheet, as sent.
    with storage.engine(settings.warehouse_url).connect() as conn:
        mine = pd.read_sql(sa.select(storage.rejections).where(storage.rejections.c.feed == FEED), conn)
    assert len(mine) > 0
    prefix = f"{name}（工作表“"
    assert mine["file"].str.startswith(prefix).all()
    rejected = {(f.removeprefix(prefix).removesuffix("”）"), n) for f, n in zip(mine["file"], mine["row_no"])}
    (workbook,) = (settings.outbox / summary.as_of.isoformat() / "部门反馈").glob("民政局_*.xlsx")
    returned = set()
    for sheet in openpyxl.load_workbook(workbook).worksheets[1:]:
        rows = list(sheet.iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r[-1] == "原表行号")
        header = list(rows[header_at])
        if sheet.title not in towns:  # the other 民政 feed's sheet
            continue
        for r in rows[header_at + 1 :]:
            sent = towns[sheet.title][int(r[-1]) - 1]
            for column in ("姓名（务必正确）", "身份证号码（务必正确）"):
                at = header.index(column)
                assert str(r[at]) == str(sent[at]).removesuffix(".0") or "EXCEL" in r[-4], (sheet.title, r[-1])
            returned.add((sheet.title, int(r[-1])))
    assert returned == rejected


def test_a_rosters_own_furniture_is_passed_over_and_named_not_rejected_as_people(settings, twin, county):
    summary = _inboxes(county, settings, twin)
    (roster,) = (settings.inbox / "民政").glob("*总名单.xlsx")
    grid = CalamineWorkbook.from_path(str(roster)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    width, half = len(grid[at]), at + 1 + (len(grid) - at - 1) // 2
    quarter = at + 1 + (half - at - 1) // 2
    eighth = at + 1 + (quarter - at - 1) // 2

    def pad(*cells: str) -> list[str]:
        return [*cells, *[""] * (width - len(cells))]

    pasted = [pad("小  计"), pad("第二批名单"), grid[at]]  # a second list pasted under the first
    footer = [pad("", "合  计", "", f"{len(grid)}人"), pad("填表人：张秀英        审核人：王建国"),
              pad("单位（盖章）：闻喜县民政局", "", "", "", "", "2023年12月25日")]
    book = xlsxwriter.Workbook(str(roster))
    _write(book.add_format({"num_format": "yyyy-mm-dd"}), book.add_worksheet(),
           [*grid[:eighth], pad("特困人员"), *grid[eighth:quarter], pad("二、农村低保家庭成员"), *grid[quarter:half],
            *pasted, *grid[half:], *footer])
    book.close()
    (csv_file,) = (settings.inbox / "残联").glob("*.csv")
    with csv_file.open("a", encoding="gb18030", newline="") as out:  # as Excel saves it: footer rows ragged
        out.write("合计：共计若干人,,,,,,\r\n填表人：李娜,联系电话：0359-7021234\r\n")

    day, plain = _same_day(settings, twin, summary)
    # data row numbers: the section headings (unnumbered, then numbered), the pasted rows, the footer
    first, last = half - at + 2, len(grid) - at - 1 + len(pasted) + 2
    kinds = [(eighth - at, "标题"), (quarter - at + 1, "标题"), (first, "合计"), (first + 1, "标题"), (first + 2, "表头"),
             (last + 1, "合计"), (last + 2, "表尾"), (last + 3, "表尾")]
    assert day["feeds"][FEED]["rows_passed_over"] == [f"民政/{roster.name}：第{n}行（{k}）" for n, k in kinds]
    (workbook,) = (settings.outbox / summary.as_of.isoformat() / "部门反馈").glob("民政局_*.xlsx")
    cover = [r[0] for r in openpyxl.load_workbook(workbook)["说明"].iter_rows(values_only=True) if r[0]]
    told = next(line for line in cover if line.startswith("以下行识别为表格本身的标题、表头、合计或表尾"))
    assert f"民政/{roster.name} " + "、".join(f"第{n}行（{k}）" for n, k in kinds) in told
    rows = sum(1 for _ in csv_file.open(encoding="gb18030")) - 1
    assert day["feeds"]["canlian"]["rows_passed_over"] == [f"残联/{csv_file.name}：第{rows - 1}行（合计）",
                                                           f"残联/{csv_file.name}：第{rows}行（表尾）"]
    for feed, result in day["feeds"].items():
        assert result["rows_read"] == plain["feeds"][feed]["rows_read"], feed
        assert result["rows_rejected"] == plain["feeds"][feed]["rows_rejected"], feed
        if feed not in (FEED, "canlian"):
            assert result["rows_passed_over"] == [], feed


def _merge_towns_under_a_two_row_header(path) -> int:
    """Rewrite the roster as many clerks lay it out: 姓名 and 身份证号码 under a merged 人员信息, the other
    header cells merged over both header rows, each town merged over its consecutive rows; returns the
    number of town merges."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    header = [str(c) for c in grid[at]]
    name_at, town_at = header.index("姓名（务必正确）"), next(i for i, h in enumerate(header) if h.startswith("乡镇"))
    assert header[name_at + 1].startswith("身份证号码")
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    rows = grid[at + 1 :]
    _write(book.add_format({"num_format": "yyyy-mm-dd"}), sheet, [*grid[:at], [], [], *rows])
    for column, head in enumerate(header):
        if column in (name_at, name_at + 1):
            sheet.write_string(at + 1, column, head)
        elif head:
            sheet.merge_range(at, column, at + 1, column, head)
    sheet.merge_range(at, name_at, at, name_at + 1, "人员信息")
    merges, first = 0, 0
    for r in range(1, len(rows) + 1):
        if r == len(rows) or rows[r][town_at] != rows[first][town_at]:
            if r - first > 1:
                sheet.merge_range(at + 2 + first, town_at, at + 1 + r, town_at, str(rows[first][town_at]))
                merges += 1
            first = r
    book.close()
    return merges


def test_a_town_merged_over_its_rows_under_a_two_row_header_reads_as_the_plain_roster(settings, twin, county):
    summary = _inboxes(county, settings, twin)
    (roster,) = (settings.inbox / "民政").glob("*总名单.xlsx")
    assert _merge_towns_under_a_two_row_header(roster) > 5

    day, plain = _same_day(settings, twin, summary)
    assert day["feeds"][FEED]["status"] == "ok"
    assert day["feeds"][FEED]["rows_read"] == plain["feeds"][FEED]["rows_read"]
    assert day["feeds"][FEED]["rows_rejected"] == plain["feeds"][FEED]["rows_rejected"] > 0
    # the feedback gives the department its two header rows back: 人员信息 over 姓名, the title lines above
    (workbook,) = (settings.outbox / summary.as_of.isoformat() / "部门反馈").glob("民政局_*.xlsx")
    sheet = next(ws for ws in openpyxl.load_workbook(workbook) if ws.title != "说明")
    rows = [list(r) for r in sheet.iter_rows(max_row=6, values_only=True)]
    at = next(i for i, r in enumerate(rows) if "身份证号码（务必正确）" in r)
    assert rows[at - 1][rows[at].index("姓名（务必正确）")] == "人员信息"
    assert rows[at - 1][rows[at].index("身份证号码（务必正确）")] is None
    assert rows[at - 1][0] == "序号" and at > 1 and all(r[0] and not any(r[1:]) for r in rows[: at - 1])
    # the title lines are merged over the sheet; the header rows as sent: 人员信息 over 姓名 and 身份证号码,
    # the department's other header cells down over both rows
    last, name_at = get_column_letter(sheet.max_column), rows[at].index("姓名（务必正确）")
    down = [get_column_letter(c + 1) for c in range(6) if c not in (name_at, name_at + 1)]
    assert sorted(str(m) for m in sheet.merged_cells.ranges) == sorted(
        [f"A{i + 1}:{last}{i + 1}" for i in range(at - 1)] + [f"{c}{at}:{c}{at + 1}" for c in down]
        + [f"{get_column_letter(name_at + 1)}{at}:{get_column_letter(name_at + 2)}{at}"])
    shaded = sheet.cell(at + 1, name_at + 1).fill.fgColor.rgb  # the super-header row is shaded as the header
    assert shaded not in (None, "00000000") and {sheet.cell(at, c).fill.fgColor.rgb for c in (1, name_at + 1)} == {shaded}
    assert sheet.cell(at - 1, 1).fill.fgColor.rgb != shaded  # a title line is not


def test_payment_times_typed_amounts_and_serial_dates_read_as_the_same_values(settings, twin, county):
    summary = _inboxes(county, settings, twin)
    (payments,) = (settings.inbox / "税务").glob("*.csv")
    text = payments.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    at, amount, year = (rows[0].index(h) for h in ("缴费日期", "缴费金额（元）", "缴费年度"))
    for n, row in enumerate(rows[1:]):  # a tax system's export: the time of day the payment was made
        row[at] = f"{row[at]} {8 + n % 10}:{n % 60:02d}:{(7 * n) % 60:02d}"
        if n % 3 == 0:  # and amounts and years as a clerk types them
            row[amount], row[year] = f"￥{row[amount]}元", f"{row[year]}年度"
    with payments.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    (changes,) = (settings.inbox / "民政").glob("*动态调整*.xlsx")
    grid = CalamineWorkbook.from_path(str(changes)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    head = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    when = next(i for i, h in enumerate(grid[head]) if str(h).startswith("动态调整时间"))
    epoch = dt.date(1899, 12, 30)
    serials = 0
    for row in grid[head + 1 :]:  # the date column formatted as 常规 (General): Excel shows serial numbers
        if row[when]:
            row[when] = float((dt.date.fromisoformat(str(row[when])) - epoch).days)
            serials += 1
    book = xlsxwriter.Workbook(str(changes))
    _write(book.add_format({"num_format": "yyyy-mm-dd"}), book.add_worksheet(), grid)
    book.close()
    assert serials > 10

    day, plain = _same_day(settings, twin, summary)
    for feed in ("shuiwu_jiaofei", "minzheng_tiaozheng"):
        assert day["feeds"][feed]["rows_staged"] == plain["feeds"][feed]["rows_staged"] > 0, feed
        assert day["feeds"][feed]["rows_rejected"] == plain["feeds"][feed]["rows_rejected"], feed


def test_a_roster_saved_as_excels_unicode_text_reads_as_the_csv(settings, twin, county):
    summary = _inboxes(county, settings, twin)
    (sent,) = (settings.inbox / "残联").glob("*.csv")
    rows = list(csv.reader(csv_as_utf8(sent.read_bytes(), sent.name).decode().splitlines()))
    sent.unlink()
    with sent.with_suffix(".txt").open("w", encoding="utf-16", newline="") as out:  # 另存为 “Unicode 文本”
        csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)

    day, plain = _same_day(settings, twin, summary)
    assert day["feeds"]["canlian"]["refused"] == []
    assert day["feeds"]["canlian"]["rows_staged"] == plain["feeds"]["canlian"]["rows_staged"] > 0


def test_nul_padding_from_a_legacy_system_is_dropped(settings, twin, county):
    """NUL characters in names of the register and of a roster, as some legacy exports pad fields: PostgreSQL
    refuses them in text, and the day must be the one of the clean files."""
    summary = _inboxes(county, settings, twin)
    for sent in [*(settings.inbox / "公安").glob("户籍*.csv"), *(settings.inbox / "残联").glob("*.csv")]:
        try:
            encoding, text = "utf-8", sent.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            encoding, text = "gb18030", sent.read_text(encoding="gb18030")
        rows = list(csv.reader(text.splitlines()))
        name = next(i for i, h in enumerate(rows[0]) if h.startswith("姓名"))
        for row in rows[1:200]:
            row[name] = row[name][:1] + "\x00" + row[name][1:] + "\x00\x00"
        with sent.open("w", encoding=encoding, newline="") as out:
            csv.writer(out, lineterminator="\r\n").writerows(rows)

    day, plain = _same_day(settings, twin, summary)
    for feed in ("gongan_huji", "canlian"):
        assert day["feeds"][feed]["rows_staged"] == plain["feeds"][feed]["rows_staged"] > 0, feed
        assert day["feeds"][feed]["rows_rejected"] == plain["feeds"][feed]["rows_rejected"], feed


def test_a_roster_saved_as_legacy_xls_is_the_current_drop(settings, county):
    summary = _inboxes(county, settings)
    fixture = Path(__file__).parents[1] / "fixtures" / "xls" / "总名单.xls"  # see tests/unit/test_readers.py
    newer = settings.inbox / "民政" / "闻喜县民政局2024年01月困难人口总名单.xls"
    shutil.copy(fixture, newer)
    pipeline.init(settings)
    result = pipeline.ingest_feed(settings, FEED, as_of=summary.as_of, run_id="day")
    assert result["status"] == "ok" and result["rows_read"] == 11 and result["refused"] == []
    assert result["superseded"] == [p.relative_to(settings.inbox).as_posix()
                                    for p in (settings.inbox / "民政").glob("*总名单.xlsx")]
    assert result["sheets_skipped"] == ["民政/闻喜县民政局2024年01月困难人口总名单.xls：下拉选项（隐藏）"]
    staged = storage.read_staged(settings.staging / "feeds" / f"{FEED}.arrow")
    assert len(staged) == 10 and "李四" not in set(staged["name"])  # his ID was stored as a number: Excel damage
