"""A department's rejected rows come back under its own title rows and header (feedback._file_sheet)."""

from __future__ import annotations

import pandas as pd

from yibao.outputs.feedback import _file_sheet
from yibao.sources import load_sources

HEADER = ["序号", "乡镇（街道）", "村（社区）", "姓名（务必正确）", "身份证号码（务必正确）", "人员类别"]


def sheet(title: list[list[str]], merges: list[list[int]]):
    rows = pd.DataFrame({"name": ["张三"], "id_number": ["140823194001011239"], "_row": [1],
                         "reason_codes": ["ID_CHECKSUM"], "reason_text": ["校验码错误"], "suggested_id": [""]})
    layout = {"title": title, "header": HEADER, "title_merges": merges}
    return _file_sheet("民政", rows, load_sources()["minzheng_zongmingdan"], layout)


def test_a_super_header_merged_into_the_header_is_the_headers_own_row():
    made = sheet([["困难人口名单"], ["序号", "乡镇（街道）", "村（社区）", "人员信息", "", "人员类别"]],
                 [[0, 0, 0, 5], [1, 0, 2, 0], [1, 3, 1, 4]])
    assert made.header_rows == 1
    assert made.title == ("困难人口名单", ("序号", "乡镇（街道）", "村（社区）", "人员信息", "", "人员类别"))
    assert made.header_merges == ((1, 0, 2, 0), (1, 3, 1, 4))  # the title line's merge is the writer's own


def test_a_row_of_cells_not_merged_into_the_header_stays_a_title_row():
    made = sheet([["困难人口名单"], ["填报单位：闻喜县民政局", "", "", "", "填报日期：2023年12月25日"]], [[1, 0, 1, 2]])
    assert made.header_rows == 0 and made.header_merges == ((1, 0, 1, 2),)


def test_merges_that_would_overlap_are_left_out_not_handed_to_excel():
    made = sheet([["困难人口名单"], ["序号", "乡镇（街道）", "村（社区）", "人员信息", "", "人员类别"]],
                 [[1, 3, 1, 4], [1, 4, 2, 5], [1, 0, 2, 0]])  # a damaged file's second merge crosses the first
    assert made.header_merges == ((1, 3, 1, 4), (1, 0, 2, 0))
