"""Landing takes only plain files inside the inbox, and a feed's config decides which drop is current."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest

from yibao.landing import drop_bytes, land, name_date
from yibao.readers import FeedError
from yibao.sources import load_sources

ROW = "乡镇,姓名,身份证号码,人员类别\n桐城镇,王五,140823194001011236,抚恤定补优抚对象\n"


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "inbox"
    (box / "退役军人").mkdir(parents=True)
    (box / "退役军人" / "优抚对象名单_20231120.csv").write_text(ROW, encoding="utf-8")
    return box


def test_a_symlinked_file_is_refused_and_never_copied(inbox, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text(ROW + "桐城镇,赵七,14082319800101123X,抚恤定补优抚对象\n", encoding="utf-8")
    (inbox / "退役军人" / "优抚对象名单_20231121.csv").symlink_to(outside)
    landing = land(inbox, load_sources()["tuiyi"], tmp_path / "landing")
    assert [r.original for r in landing.refused] == ["退役军人/优抚对象名单_20231121.csv"]
    assert landing.refused[0].fatal and "是符号链接" in landing.refused[0].reason
    assert len(list((tmp_path / "landing").rglob("*.csv"))) == 1  # only the real drop


def test_drop_bytes_counts_only_the_plain_files_it_would_land(inbox, tmp_path):
    outside = tmp_path / "big.csv"
    outside.write_bytes(b"x" * 10_000)
    (inbox / "退役军人" / "优抚对象名单_20231121.csv").symlink_to(outside)
    (inbox / "退役军人" / ".~优抚对象名单_20231122.csv").write_bytes(b"x" * 5_000)
    assert drop_bytes(inbox, load_sources()["tuiyi"]) == len(ROW.encode())
    assert drop_bytes(tmp_path / "no-inbox", load_sources()["tuiyi"]) == 0


def test_a_symlinked_department_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "another_county" / "退役军人"
    elsewhere.mkdir(parents=True)
    (elsewhere / "优抚对象名单_20231120.csv").write_text(ROW, encoding="utf-8")
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "退役军人").symlink_to(elsewhere, target_is_directory=True)
    landing = land(box, load_sources()["tuiyi"], tmp_path / "landing")
    assert landing.used == []
    assert landing.refused[0].fatal and "文件夹“退役军人”是符号链接" in landing.refused[0].reason


def test_a_pattern_leading_outside_the_inbox_is_refused(inbox, tmp_path):
    (tmp_path / "优抚对象名单_20231120.csv").write_text(ROW, encoding="utf-8")
    source = dataclasses.replace(load_sources()["tuiyi"], files="退役军人/../../*优抚*.csv")
    landing = land(inbox, source, tmp_path / "landing")
    assert landing.used == [] and landing.refused[0].fatal and "收件箱之外" in landing.refused[0].reason


def test_hidden_and_office_lock_files_are_reported_not_read(inbox, tmp_path):
    (inbox / "退役军人" / ".优抚对象名单_20231122.csv").write_text(ROW, encoding="utf-8")
    (inbox / "退役军人" / "~$优抚对象名单_20231122.csv").write_text("lock", encoding="utf-8")
    landing = land(inbox, load_sources()["tuiyi"], tmp_path / "landing")
    assert [f.original for f in landing.used] == ["退役军人/优抚对象名单_20231120.csv"]
    assert sorted(r.original for r in landing.refused) == ["退役军人/.优抚对象名单_20231122.csv",
                                                          "退役军人/~$优抚对象名单_20231122.csv"]
    assert not any(r.fatal for r in landing.refused)


def test_a_drop_in_another_format_is_refused_with_what_to_do_and_the_extension_case_does_not_matter(inbox, tmp_path):
    (inbox / "退役军人" / "优抚对象名单_20231120.csv").rename(inbox / "退役军人" / "优抚对象名单_20231120.CSV")
    (inbox / "退役军人" / "优抚对象名单_20231205.xlsx").write_bytes(b"PK")  # saved from Excel, not as CSV
    landing = land(inbox, load_sources()["tuiyi"], tmp_path / "landing")
    assert [f.original for f in landing.used] == ["退役军人/优抚对象名单_20231120.CSV"]
    (refused,) = landing.refused
    assert refused.original == "退役军人/优抚对象名单_20231205.xlsx" and not refused.fatal
    assert refused.reason == "文件格式为 .xlsx，本数据源只读取 .csv、.txt（CSV 或 Excel 的 Unicode 文本），未导入；请另存为 .csv 后重新报送"

    # a pattern that names no one format takes every file it matches, as written
    anything = dataclasses.replace(load_sources()["tuiyi"], files="退役军人/优抚对象名单_*")
    assert len(land(inbox, anything, tmp_path / "landing").used) == 1  # newest by the date in the name

    roster = tmp_path / "inbox2" / "民政"
    roster.mkdir(parents=True)
    (roster / "闻喜县民政局2023年11月困难人口总名单.xls").write_bytes(b"\xd0\xcf\x11\xe0")  # legacy Excel: read
    (roster / "闻喜县民政局2023年12月困难人口总名单.et").write_bytes(b"\xd0\xcf\x11\xe0")  # WPS's own format
    landing = land(tmp_path / "inbox2", load_sources()["minzheng_zongmingdan"], tmp_path / "landing")
    assert [f.original for f in landing.used] == ["民政/闻喜县民政局2023年11月困难人口总名单.xls"]
    assert [r.reason for r in landing.refused] == [
        "文件格式为 .et，本数据源只读取 .xlsx、.xls（Excel 工作簿），未导入；请另存为 .xlsx 后重新报送"]


def test_the_newest_dated_drop_is_current_and_older_ones_are_superseded(inbox, tmp_path):
    newer = inbox / "退役军人" / "优抚对象名单_20231205.csv"
    newer.write_text(ROW, encoding="utf-8")
    os.utime(newer, (0, 0))  # arrived earlier, but its name says it is newer
    (inbox / "退役军人" / "优抚对象名单_20231201.csv").write_text(ROW.replace("王五", "王六"), encoding="utf-8")
    landing = land(inbox, load_sources()["tuiyi"], tmp_path / "landing")
    assert [f.original for f in landing.used] == ["退役军人/优抚对象名单_20231205.csv"]
    assert [f.original for f in landing.superseded] == ["退役军人/优抚对象名单_20231120.csv",
                                                         "退役军人/优抚对象名单_20231201.csv"]
    assert all(f.path.exists() for f in landing.superseded)  # still landed


def test_by_arrival_the_last_modified_drop_is_current(inbox, tmp_path):
    later = inbox / "退役军人" / "优抚对象名单_更正.csv"
    later.write_text(ROW.replace("王五", "王六"), encoding="utf-8")
    os.utime(inbox / "退役军人" / "优抚对象名单_20231120.csv", (0, 0))
    source = dataclasses.replace(load_sources()["tuiyi"], current="newest_by_arrival")
    landing = land(inbox, source, tmp_path / "landing")
    assert [f.original for f in landing.used] == ["退役军人/优抚对象名单_更正.csv"]


def test_an_undated_second_drop_cannot_be_placed_and_fails_the_feed(inbox, tmp_path):
    (inbox / "退役军人" / "优抚对象名单_更正.csv").write_text(ROW, encoding="utf-8")
    with pytest.raises(FeedError, match="优抚对象名单_更正.csv 的文件名中没有日期"):
        land(inbox, load_sources()["tuiyi"], tmp_path / "landing")


def test_a_feed_of_adjustments_reads_every_drop(tmp_path):
    box = tmp_path / "inbox" / "民政"
    box.mkdir(parents=True)
    for month in ("2023年10月", "2023年11月"):
        (box / f"闻喜县民政局{month}困难人口动态调整名单.xlsx").write_bytes(month.encode())
    landing = land(tmp_path / "inbox", load_sources()["minzheng_tiaozheng"], tmp_path / "landing")
    assert len(landing.used) == 2 and landing.superseded == []


def test_dates_in_file_names():
    assert name_date("缴费记录_2023-12-25.csv") == dt.date(2023, 12, 25)
    assert name_date("名单_20231399.csv") is None
