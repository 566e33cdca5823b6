"""Reading drops in the departments' own layouts: title rows, encodings, Excel damage, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from yibao.readers import FeedError, read_drop
from yibao.sources import load_sources

ROSTER_HEADER = ["序号", "乡镇（街道）", "村（社区）", "姓名（务必正确）", "身份证号码（务必正确）", "人员类别"]


def write_roster_xlsx(path, rows, numeric_id_row=None):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_string(0, 0, "闻喜县民政局 2023年11月 困难人口总名单")
    ws.write_string(1, 0, "单位名称（盖章）：闻喜县民政局")
    ws.write_string(2, 0, "2023 年 11 月 20 日")
    for c, h in enumerate(ROSTER_HEADER):
        ws.write_string(3, c, h)
    for r, row in enumerate(rows, start=4):
        for c, v in enumerate(row):
            if c == 4 and r - 4 == numeric_id_row:
                ws.write_number(r, c, float(v))
            else:
                ws.write_string(r, c, v)
    wb.close()


def test_xlsx_title_rows_are_skipped_and_rows_numbered_like_the_template(tmp_path):
    path = tmp_path / "总名单.xlsx"
    write_roster_xlsx(path, [
        ["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员"],
        ["2", "桐城镇", "东街村", "李四", "14082319800101123X", "城镇低保家庭成员"],
    ])
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["id_number"].tolist() == ["140823194001011239", "14082319800101123X"]
    assert frame["category"].tolist() == ["农村特困供养人员", "城镇低保家庭成员"]
    assert frame["_row"].tolist() == [1, 2]
    assert set(frame["_file"]) == {"民政/总名单.xlsx"}


def test_a_roster_kept_one_sheet_per_town_is_read_whole_and_every_other_sheet_is_named(tmp_path):
    path = tmp_path / "总名单.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("填表说明").write_string(0, 0, "人员类别请从下拉列表选择")
    towns = {"桐城镇": [["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员"],
                        ["2", "桐城镇", "东街村", "李四", "14082319800101123X", "城镇低保家庭成员"]],
             "东镇镇": [["1", "东镇镇", "上院村", "王五", "140823200001011231", "农村低保家庭成员"]]}
    for town, rows in towns.items():
        ws = wb.add_worksheet(town)
        ws.write_string(0, 0, f"{town} 困难人口名单")
        ws.write_row(1, 0, ROSTER_HEADER)
        for r, row in enumerate(rows, start=2):
            ws.write_row(r, 0, row)
    old = wb.add_worksheet("上月名单")  # last month's roster, hidden away: never read
    old.write_row(0, 0, ROSTER_HEADER)
    old.write_row(1, 0, ["1", "桐城镇", "东街村", "赵六", "140823194001011220", "农村特困供养人员"])
    old.hide()
    wb.add_worksheet("Sheet5")  # blank: nothing to report
    wb.close()

    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["name"].tolist() == ["张三", "李四", "王五"]
    assert frame["_file"].tolist() == ["民政/总名单.xlsx（工作表“桐城镇”）"] * 2 + ["民政/总名单.xlsx（工作表“东镇镇”）"]
    assert frame["_row"].tolist() == [1, 2, 1], "rows are numbered within their own sheet"
    assert frame.attrs["layout"]["民政/总名单.xlsx（工作表“东镇镇”）"] == {
        "title": [["东镇镇 困难人口名单"]], "header": ROSTER_HEADER, "sheet": "东镇镇"}
    assert frame.attrs["skipped_sheets"] == ["民政/总名单.xlsx：填表说明（无规定表头）", "民政/总名单.xlsx：上月名单（隐藏）"]


def test_a_legacy_xls_workbook_is_read_as_an_xlsx_one(tmp_path):
    """``tests/fixtures/xls/总名单.xls`` was written once with xlwt 1.3 (BIFF8, as legacy Excel and WPS save):
    two title rows, the header, eleven rows with valid IDs (李四's stored as a number, one 序号 too) and a
    hidden sheet."""
    path = Path(__file__).parents[1] / "fixtures" / "xls" / "总名单.xls"
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xls")
    assert frame["name"].tolist()[:3] == ["张三", "李四", "王五"] and frame["_row"].tolist() == list(range(1, 12))
    assert frame["id_number"].tolist()[:3] == ["140823194001011236", "1.40823E+17", "140823195001011257"]
    assert frame["seq"].tolist() == [str(n) for n in range(1, 12)]
    assert frame.attrs["layout"]["民政/总名单.xls"]["title"] == [["闻喜县民政局 2023年11月 困难人口总名单"],
                                                              ["单位名称（盖章）：闻喜县民政局"]]
    assert frame.attrs["skipped_sheets"] == ["民政/总名单.xls：下拉选项（隐藏）"]

    renamed = tmp_path / "总名单.xls"
    renamed.write_bytes(b"PK\x03\x04" + b"\x00" * 60)  # not a legacy workbook, whatever its name says
    with pytest.raises(FeedError, match="不是有效的旧版 Excel（.xls）文件，请用 Excel 或 WPS 打开后另存为 .xlsx"):
        read_drop(renamed, load_sources()["minzheng_zongmingdan"])


@pytest.mark.parametrize("damaged", ["损坏_解析出错.xls", "损坏_解析中止.xls"])
def test_a_damaged_legacy_xls_fails_with_what_to_do_and_the_reading_process_goes_on(damaged):
    """``总名单.xls`` with some bytes changed (found by fuzzing): calamine panics on the first and, on the
    second, asks for 171 GB and aborts its interpreter. Read here, in the test's own process, each is a
    clear refusal of its feed only."""
    path = Path(__file__).parents[1] / "fixtures" / "xls" / damaged
    with pytest.raises(FeedError, match=f"文件 “民政/{damaged}”（民政局） 已损坏，无法读取：请用 Excel 或 WPS 打开后另存为 .xlsx"):
        read_drop(path, load_sources()["minzheng_zongmingdan"], f"民政/{damaged}")


def test_nul_characters_in_workbook_cells_are_dropped(tmp_path):
    """A legacy export's NUL padding reaches an .xlsx as ``_x0000_``, which calamine turns back into NUL."""
    path = tmp_path / "总名单.xlsx"
    write_roster_xlsx(path, [["1", "桐城镇", "东街村", "张\x00三\x00", "140823194001011239\x00", "农村特困供养人员"]])
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["name"].tolist() == ["张三"] and frame["id_number"].tolist() == ["140823194001011239"]


def test_an_id_stored_as_a_number_is_shown_as_excel_shows_it_not_as_wrong_digits(tmp_path):
    path = tmp_path / "总名单.xlsx"
    write_roster_xlsx(path, [["1", "桐城镇", "东街村", "张三", "370481198001011234", "低保"]], numeric_id_row=0)
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"])
    assert frame.loc[0, "id_number"] == "3.70481E+17"


def test_gb18030_csv_keeps_names_outside_gbk(tmp_path):
    source = load_sources()["canlian"]
    text = "乡镇（街道）,村（社区）,姓名,身份证号码,人员类别,残疾等级,残疾类别\n桐城镇,东街村,𠮷祥,140823194001011239,残疾人,二级,肢体\n"
    path = tmp_path / "残联.csv"
    path.write_bytes(text.encode("gb18030"))
    frame = read_drop(path, source)
    assert frame.loc[0, "name"] == "𠮷祥"
    assert frame.loc[0, "disability_grade"] == "二级"


def test_utf8_bom_and_header_variants_are_accepted(tmp_path):
    source = load_sources()["tuiyi"]
    path = tmp_path / "优抚.csv"
    path.write_bytes("\ufeff乡镇,姓名,身份证号码,人员类别\n桐城镇,王五,140823194001011239,抚恤定补优抚对象\n".encode())
    frame = read_drop(path, source)
    assert frame.loc[0, "category"] == "抚恤定补优抚对象"
    assert frame.loc[0, "town"] == "桐城镇"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "空文件"),
        ("姓名,人员类别\n张三,低保\n".encode(), "缺少必填列"),
        ("姓名,身份证号码,人员类别\n".encode(), "没有数据行"),
        (b"\xff\xff\x00\x81", "无法识别编码"),
        (b"\xff\xfe\x41", "无法识别编码"),  # starts like UTF-16, is not
    ],
)
def test_bad_files_fail_with_one_clear_chinese_message(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(FeedError, match=message):
        read_drop(path, load_sources()["weijian"], "卫健/bad.csv")


def test_a_file_that_is_not_xlsx_fails_clearly(tmp_path):
    path = tmp_path / "总名单.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(FeedError, match="不是有效的 Excel"):
        read_drop(path, load_sources()["minzheng_zongmingdan"])


def test_a_ragged_csv_row_is_kept_aside_with_its_number_and_the_rest_is_read(tmp_path):
    source = load_sources()["tuiyi"]
    path = tmp_path / "优抚.csv"
    path.write_text(
        "乡镇,姓名,身份证号码,人员类别,备注\n"
        "桐城镇,王五,140823194001011239,抚恤定补优抚对象,a\n"
        "桐城镇,王,六,140823194001011239,抚恤定补优抚对象,b\n"  # unquoted comma in the name
        "桐城镇,赵七,14082319800101123X,抚恤定补优抚对象,c\n"
        "桐城镇,钱八\n",
        encoding="utf-8",
    )
    frame = read_drop(path, source, "退役军人/优抚.csv")
    assert frame["_row"].tolist() == [1, 2, 3, 4]
    assert frame["_ragged"].tolist() == ["", "6/5", "", "2/5"]
    assert frame.loc[1, "_raw"] == "桐城镇,王,六,140823194001011239,抚恤定补优抚对象,b"
    assert frame.loc[[0, 2], "name"].tolist() == ["王五", "赵七"]
    assert frame.loc[1, "id_number"] == "" and frame.loc[1, "name"] == ""
    assert frame["_x:备注"].tolist() == ["a", "", "c", ""]  # a column the feed does not use, kept for feedback


def test_title_rows_above_a_csv_header_are_skipped_as_in_a_workbook(tmp_path):
    source = load_sources()["tuiyi"]
    path = tmp_path / "优抚.csv"
    path.write_text(  # the template's title rows, saved from Excel as CSV (padded with commas)
        "闻喜县退役军人事务局 优抚对象名单,,,,\n"
        "单位名称（盖章）：闻喜县退役军人事务局,,,,\n"
        "乡镇,姓名,身份证号码,人员类别,备注\n"
        "桐城镇,王五,140823194001011239,抚恤定补优抚对象,a\n"
        "桐城镇,王,六,140823194001011239,抚恤定补优抚对象,b\n"
        "桐城镇,赵七,14082319800101123X,抚恤定补优抚对象,c\n",
        encoding="gb18030",
    )
    frame = read_drop(path, source, "退役军人/优抚.csv")
    assert frame["name"].tolist() == ["王五", "", "赵七"] and frame["_row"].tolist() == [1, 2, 3]
    assert frame["_ragged"].tolist() == ["", "6/5", ""], "the ragged row keeps its number under the header"
    assert frame.attrs["layout"]["退役军人/优抚.csv"]["title"] == [["闻喜县退役军人事务局 优抚对象名单"],
                                                                 ["单位名称（盖章）：闻喜县退役军人事务局"]]


def test_a_long_filling_guide_above_the_header_is_skipped(tmp_path):
    guide = ["填报说明："] + [f"{n}、第{n}条说明，请按要求填写。" for n in range(1, 14)]
    path = tmp_path / "优抚.csv"
    path.write_text("\n".join([*(f"{line},,,," for line in guide), "乡镇,姓名,身份证号码,人员类别,备注",
                               "桐城镇,王五,140823194001011239,抚恤定补优抚对象,"]) + "\n", encoding="utf-8")
    frame = read_drop(path, load_sources()["tuiyi"], "退役军人/优抚.csv")
    assert frame["name"].tolist() == ["王五"] and frame["_row"].tolist() == [1]
    assert len(frame.attrs["layout"]["退役军人/优抚.csv"]["title"]) == 14


def test_the_footer_under_a_roster_is_not_read_as_people_and_a_person_without_an_id_is(tmp_path):
    path = tmp_path / "总名单.xlsx"
    write_roster_xlsx(path, [
        ["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员"],
        ["2", "桐城镇", "东街村", "李四", "", "城镇低保家庭成员"],  # ID left out: a person, rejected later
        ["", "合  计", "", "2人", "", ""],
        ["填表人：王五        审核人：赵六", "", "", "", "", ""],
        ["注：140823194001011239 本月新增", "", "", "", "", ""],  # holds an ID: never passed over
        ["单位（盖章）：闻喜县民政局", "", "", "", "2023年12月25日", ""],
    ])
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["_row"].tolist() == [1, 2, 4, 5], "填表人 above a row holding an ID is no footer: checked"
    assert frame.attrs["rows_passed_over"] == ["民政/总名单.xlsx：第3行（合计）", "民政/总名单.xlsx：第6行（表尾）"]

    write_roster_xlsx(path, [
        ["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员"],
        ["2", "桐城镇", "东街村", "李四", "", "城镇低保家庭成员"],
        ["", "合  计", "", "2人", "", ""],
        ["填表人：王五        审核人：赵六", "", "", "", "", ""],
        ["单位（盖章）：闻喜县民政局", "", "", "", "2023年12月25日", ""],
    ])
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["name"].tolist() == ["张三", "李四"]
    assert frame.attrs["rows_passed_over"] == [f"民政/总名单.xlsx：第{n}行（{kind}）"
                                              for n, kind in ((3, "合计"), (4, "表尾"), (5, "表尾"))]


def test_blank_headed_columns_stay_in_place_and_a_stray_space_far_off_adds_none(tmp_path):
    """Two columns without a header hold remarks; a space typed at GR5 widens the grid to 200 columns. The
    rows come back as the clerk laid them out, and the feedback's layout is the header as sent."""
    path = tmp_path / "总名单.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, [*ROSTER_HEADER, "", "", "备注"])
    ws.write_row(1, 0, ["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员", "", "已核", "a"])
    ws.write_row(2, 0, ["2", "桐城镇", "东街村", "李四", "14082319800101123X", "城镇低保家庭成员", "电话", "", "b"])
    ws.write_string(4, 199, " ")
    wb.close()
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame.attrs["layout"]["民政/总名单.xlsx"]["header"] == [*ROSTER_HEADER, "", "", "备注"]
    assert frame["name"].tolist() == ["张三", "李四"] and frame["_x:备注"].tolist() == ["a", "b"]
    assert frame["_x:"].tolist() == ["", "电话"] and frame["_x:#8"].tolist() == ["已核", ""]
    assert frame["_row"].tolist() == [1, 2]


def test_a_town_merged_over_its_rows_and_a_two_row_header_read_as_the_clerk_sees_them(tmp_path):
    """乡镇 merged down over a town's rows counts in each; 序号, 乡镇, 村 and 人员类别 merged over two header
    rows beside 姓名 and 身份证号码 under a merged 人员信息 make one header; the title merged across stays one."""
    path = tmp_path / "总名单.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.merge_range(0, 0, 0, 5, "闻喜县民政局困难人口名单")
    for column, head in ((0, "序号"), (1, "乡镇（街道）"), (2, "村（社区）"), (5, "人员类别")):
        ws.merge_range(1, column, 2, column, head)
    ws.merge_range(1, 3, 1, 4, "人员信息")
    ws.write_row(2, 3, ["姓名（务必正确）", "身份证号码（务必正确）"])
    ws.merge_range(3, 1, 5, 1, "桐城镇")
    ws.write_string(6, 1, "东镇镇")
    people = [("张三", "140823194001011239"), ("李四", "14082319800101123X"), ("王五", "140823200001011231"),
              ("赵六", "140823195001011236")]
    for r, (name, id_number) in enumerate(people, start=3):
        ws.write_row(r, 2, ["东街村", name, id_number, "农村低保家庭成员"])
        ws.write_string(r, 0, str(r - 2))
    wb.close()
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["town"].tolist() == ["桐城镇", "桐城镇", "桐城镇", "东镇镇"]
    assert frame["name"].tolist() == ["张三", "李四", "王五", "赵六"] and frame["_row"].tolist() == [1, 2, 3, 4]
    layout = frame.attrs["layout"]["民政/总名单.xlsx"]
    assert layout["title"] == [["闻喜县民政局困难人口名单"], ["序号", "乡镇（街道）", "村（社区）", "人员信息", "", "人员类别"]]
    assert layout["header"] == ["序号", "乡镇（街道）", "村（社区）", "姓名（务必正确）", "身份证号码（务必正确）", "人员类别"]


def test_a_csv_footer_is_passed_over_even_ragged_and_so_is_a_subtotal_among_people(tmp_path):
    path = tmp_path / "优抚.csv"
    path.write_text(
        "乡镇,姓名,身份证号码,人员类别,备注\n"
        "桐城镇,王五,140823194001011239,抚恤定补优抚对象,\n"
        "小计,,,,\n"
        "东镇镇,赵七,14082319800101123X,抚恤定补优抚对象,\n"
        "合计：2人,,,,\n"
        "制表人：钱八,联系电话：13800000000\n",  # ragged
        encoding="utf-8",
    )
    frame = read_drop(path, load_sources()["tuiyi"], "退役军人/优抚.csv")
    assert frame["_row"].tolist() == [1, 3] and frame["name"].tolist() == ["王五", "赵七"]
    assert frame.attrs["rows_passed_over"] == [f"退役军人/优抚.csv：第{n}行（{kind}）"
                                              for n, kind in ((2, "合计"), (4, "合计"), (5, "表尾"))]


def test_town_lists_pasted_one_under_another_leave_their_titles_and_headers_out(tmp_path):
    path = tmp_path / "总名单.xlsx"
    write_roster_xlsx(path, [
        ["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员"],
        ["小  计", "", "", "1人", "", ""],
        ["东镇镇困难人口名单", "", "", "", "", ""],
        ROSTER_HEADER,
        ["1", "东镇镇", "上院村", "赵六", "140823195001011236", "农村低保家庭成员"],
        ["2", "东镇镇", "上院村", "孙七", "", "农村低保家庭成员"],  # a person without an ID: checked
        ["侯村乡"],  # one text, not above a header: a person's row as far as anyone can tell, checked
    ])
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"], "民政/总名单.xlsx")
    assert frame["_row"].tolist() == [1, 5, 6, 7]
    assert frame.attrs["rows_passed_over"] == [f"民政/总名单.xlsx：第{n}行（{kind}）"
                                              for n, kind in ((2, "合计"), (3, "标题"), (4, "表头"))]


def test_excels_unicode_text_is_read_like_a_csv(tmp_path):
    """Excel's “Unicode 文本” save: UTF-16 with its BOM, cells separated by tabs (sent renamed to .csv)."""
    path = tmp_path / "优抚.csv"
    path.write_text(
        "闻喜县退役军人事务局 优抚对象名单\t\t\t\t\n"
        "乡镇\t姓名\t身份证号码\t人员类别\t备注\n"
        "桐城镇\t王五\t140823194001011239\t抚恤定补优抚对象\t逗号,在备注里\n"
        "桐城镇\t赵七\n"
        "东镇镇\t𠮷祥\t14082319800101123X\t抚恤定补优抚对象\t\n",
        encoding="utf-16",
    )
    frame = read_drop(path, load_sources()["tuiyi"], "退役军人/优抚.csv")
    assert frame["name"].tolist() == ["王五", "", "𠮷祥"] and frame["_row"].tolist() == [1, 2, 3]
    assert frame["_x:备注"].tolist() == ["逗号,在备注里", "", ""] and frame["_ragged"].tolist() == ["", "2/5", ""]
    assert frame.attrs["layout"]["退役军人/优抚.csv"]["title"] == [["闻喜县退役军人事务局 优抚对象名单"]]


def test_headers_with_the_departments_own_remarks_are_read_and_two_candidates_are_never_guessed(tmp_path):
    path = tmp_path / "优抚.csv"
    path.write_text(
        "乡镇（街道）,姓名（必填）,监护人身份证号,身份证号【18位】,优抚类别(下拉选择)\n"
        "桐城镇,王五,14082319800101123X,140823194001011239,抚恤定补优抚对象\n",
        encoding="utf-8",
    )
    frame = read_drop(path, load_sources()["tuiyi"], "退役军人/优抚.csv")
    assert frame.loc[0, ["name", "id_number", "category"]].tolist() == ["王五", "140823194001011239", "抚恤定补优抚对象"]
    assert frame.loc[0, "_x:监护人身份证号"] == "14082319800101123X"

    path.write_text(path.read_text(encoding="utf-8").replace("监护人身份证号", "身份证号（监护人）"), encoding="utf-8")
    with pytest.raises(FeedError, match="缺少必填列"):  # which of the two is the person's? the file must say
        read_drop(path, load_sources()["tuiyi"], "退役军人/优抚.csv")


def test_ragged_rows_are_rejected_for_their_shape_only_without_quoting_them(tmp_path):
    import datetime as dt

    from yibao import policy
    from yibao.staging import stage

    source = load_sources()["tuiyi"]
    path = tmp_path / "优抚.csv"
    path.write_text("乡镇,姓名,身份证号码,人员类别\n桐城镇,王五,140823194001011236,抚恤定补优抚对象\n"
                    "桐城镇,王,六,140823194001011236,抚恤定补优抚对象\n", encoding="utf-8")
    rules = policy.load("wenxi-2024")
    staged = stage(read_drop(path, source), source, as_of=dt.date(2023, 12, 1), home_region=None,
                   resolve_labels=lambda s: policy.resolve_labels(rules, s))
    assert len(staged.rows) == 1
    assert staged.rejected["reason_codes"].tolist() == ["ROW_RAGGED"]
    text = staged.rejected.loc[0, "reason_text"]
    assert "本行 5 列，表头 4 列" in text
    assert "140823194001011236" not in text and "王" not in text


def test_blank_rows_in_a_workbook_keep_the_template_row_numbers(tmp_path):
    path = tmp_path / "总名单.xlsx"
    write_roster_xlsx(path, [
        ["1", "桐城镇", "东街村", "张三", "140823194001011239", "农村特困供养人员"],
        ["", "", "", "", "", ""],
        ["3", "桐城镇", "东街村", "李四", "14082319800101123X", "城镇低保家庭成员"],
    ])
    frame = read_drop(path, load_sources()["minzheng_zongmingdan"])
    assert frame["_row"].tolist() == [1, 3]
    assert frame.attrs["layout"][path.name]["title"][0] == ["闻喜县民政局 2023年11月 困难人口总名单"]


def test_tax_payments_reject_bad_amounts_years_and_dates_and_keep_money_as_integer_fen(tmp_path):
    """One bad amount in a 税务 file must not turn the other rows' money into floats (pandas gives float64
    for a nullable integer column with a gap), and its rejection says what to fix."""
    import datetime as dt

    from yibao import policy
    from yibao.staging import stage

    source = load_sources()["shuiwu_jiaofei"]
    path = tmp_path / "缴费记录_20231225.csv"
    path.write_text(
        "缴费人身份证号码,缴费人姓名,缴费年度,缴费金额（元）,缴费日期,缴费渠道,乡镇（街道）\n"
        "140823198001011234,张三,2024,\"1,020.50\",2023/10/8,银行代扣,桐城镇\n"
        "140823198503150023,李四,2024,38.555,2023-10-08,手机APP,桐城镇\n"
        "140823200006010046,王五,24,380,20231009,柜台,桐城镇\n"
        "140823198001011234,张三,2024,380,2023-02-30,柜台,桐城镇\n",
        encoding="utf-8",
    )
    rules = policy.load("wenxi-2024")
    staged = stage(read_drop(path, source), source, as_of=dt.date(2023, 12, 25), home_region=None,
                   resolve_labels=lambda s: policy.resolve_labels(rules, s))
    assert staged.rejected["reason_codes"].tolist() == ["AMOUNT_BAD", "YEAR_BAD", "DATE_BAD"]
    assert "最多两位小数" in staged.rejected.loc[0, "reason_text"]
    assert staged.rows["paid_fen"].tolist() == [102050]
    assert staged.rows["paid_fen"].dtype.kind == "i" and staged.rows["paid_year"].dtype.kind == "i"
    assert staged.rows["channel"].tolist() == ["银行代扣"]
