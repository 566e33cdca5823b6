"""Dynamic adjustments (闻喜 附件3) with dates: the roster as of any day, why someone holds a status on that
day (file, row, date), and adjustments that cannot be applied sent back with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter

from yibao import policy
from yibao.adjustments import apply_changes, explain
from yibao.readers import read_drop
from yibao.sources import load_sources
from yibao.staging import stage

CAMPAIGN_START = dt.date(2023, 9, 1)  # 闻政办发〔2023〕29号 三：2023年9月1日至12月25日办理缴费业务
TITLE = ["闻喜县民政局 {} 困难人口动态调整名单", "单位名称（盖章）：闻喜县民政局", "2023 年 11 月 30 日"]
HEADER_3 = ["序号", "乡镇（街道）", "村（社区）", "姓名（务必正确）", "身份证号码（务必正确）", "动态调整类型（新增/退出）",
            "人员类别", "动态调整时间（精确到年月日）"]
HEADER_2 = ["序号", "乡镇（街道）", "村（社区）", "姓名（务必正确）", "身份证号码（务必正确）", "人员类别"]


def with_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    return first17 + "10X98765432"[total % 11]


A, B, C, D = (with_check(f"14082319{y}0101123") for y in ("50", "60", "70", "80"))


def workbook(path, title: str, header: list[str], rows: list[list[str]]):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, text in enumerate(TITLE):
        ws.write_string(r, 0, text.format(title))
    for c, h in enumerate(header):
        ws.write_string(3, c, h)
    for r, row in enumerate(rows, start=4):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    return path


def staged(path, feed: str, name: str):
    rules = policy.load("wenxi-2024")
    source = load_sources()[feed]
    return stage(read_drop(path, source, name), source, as_of=dt.date(2023, 12, 25), home_region=None,
                 resolve_labels=lambda s: policy.resolve_labels(rules, s), campaign_start=CAMPAIGN_START)


@pytest.fixture
def lists(tmp_path):
    roster = staged(workbook(tmp_path / "r.xlsx", "2023年8月", HEADER_2, [
        ["1", "桐城镇", "东街村", "甲", A, "农村低保家庭成员"],
        ["2", "桐城镇", "东街村", "丙", C, "农村特困供养人员"],
    ]), "minzheng_zongmingdan", "民政/2023年8月总名单.xlsx")
    october = staged(workbook(tmp_path / "10.xlsx", "2023年10月", HEADER_3, [
        ["1", "桐城镇", "东街村", "甲", A, "退出", "农村低保家庭成员", "2023-10-08"],
        ["2", "桐城镇", "东街村", "乙", B, "新增", "城镇低保家庭成员", "2023/9/15"],
    ]), "minzheng_tiaozheng", "民政/2023年10月动态调整名单.xlsx")
    november = staged(workbook(tmp_path / "11.xlsx", "2023年11月", HEADER_3, [
        ["1", "桐城镇", "东街村", "乙", B, "退出", "城镇低保家庭成员", "2023.11.20"],
        ["2", "桐城镇", "东街村", "甲", A, "新增", "农村低保家庭成员", "20231101"],
        ["3", "桐城镇", "东街村", "丙", C, "退出", "农村特困供养人员", "2023-08-01"],
        ["4", "桐城镇", "东街村", "丁", D, "新增", "农村低保家庭成员", ""],
    ]), "minzheng_tiaozheng", "民政/2023年11月动态调整名单.xlsx")
    return roster, october, november


def test_an_exit_before_the_campaign_and_an_undated_adjustment_are_sent_back(lists):
    _, october, november = lists
    assert october.rejected.empty
    rejected = november.rejected.set_index("_row")
    assert rejected.loc[3, "reason_codes"] == "EXIT_BEFORE_CAMPAIGN"
    assert "退出时间 2023-08-01，本年度征缴自 2023-09-01 开始" in rejected.loc[3, "reason_text"]
    assert rejected.loc[4, "reason_codes"] == "DATE_MISSING"
    assert sorted(november.rows["_row"]) == [1, 2]


def test_the_adjustment_lists_reconstruct_the_roster_as_of_three_dates(lists):
    import pandas as pd

    roster, october, november = lists
    changes = pd.concat([october.rows, november.rows], ignore_index=True)
    keys = dict(zip(roster.rows["id_number"], roster.rows["key"], strict=True)) | dict(
        zip(changes["id_number"], changes["key"], strict=True))

    def members(on):
        as_of = apply_changes(roster.rows, changes, on)
        return {(k, s) for k, s in zip(as_of["key"], as_of["status"], strict=True)}

    assert members(dt.date(2023, 9, 10)) == {(keys[A], "低保对象"), (keys[C], "特困人员")}
    assert members(dt.date(2023, 10, 15)) == {(keys[B], "低保对象"), (keys[C], "特困人员")}
    assert members(dt.date(2023, 12, 1)) == {(keys[A], "低保对象"), (keys[C], "特困人员")}

    # Why, for one person on each of the three dates: the file, the row and the date that decided it.
    why = {on: explain(roster.rows, changes, keys[A], on).iloc[0] for on in
           (dt.date(2023, 9, 10), dt.date(2023, 10, 15), dt.date(2023, 12, 1))}
    first, second, third = why.values()
    assert (first["member"], first["decided_by"], first["file"], first["row"]) == (
        True, "roster", "民政/2023年8月总名单.xlsx", 1)
    assert (second["member"], second["file"], second["row"], second["date"]) == (
        False, "民政/2023年10月动态调整名单.xlsx", 1, dt.date(2023, 10, 8))
    assert second["reason"] == "民政/2023年10月动态调整名单.xlsx 第1行 退出，动态调整时间 2023-10-08"
    assert (third["member"], third["file"], third["row"], third["date"]) == (
        True, "民政/2023年11月动态调整名单.xlsx", 2, dt.date(2023, 11, 1))
    before = explain(roster.rows, changes, keys[B], dt.date(2023, 9, 10)).iloc[0]
    assert not before["member"] and before["decided_by"] == "none" and "2023-09-15 才生效" in before["reason"]
    # 丙's 退出 dated before the campaign was sent back, so the total roster still decides.
    assert explain(roster.rows, changes, keys[C], dt.date(2023, 12, 1)).iloc[0]["decided_by"] == "roster"
