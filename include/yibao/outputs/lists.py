"""The lists towns, villages and the medical insurance bureau work from, one XLSX each.

- 催缴名单 (per town): that town's people who should insure and have not paid, for one-to-one reminders
  (滕州: 对缴费期临近结束未缴费人员进行"一对一"缴费提醒), with household, village and phone/address where a feed
  has them, and its households where some members paid and others did not (户不漏人). Names in full (the
  cadres visit them), ID numbers masked.
- 公示名单 (per village): who has paid, masked (张*明, 140823********123X), for posting (巨野: 以村（社区）为单位
  及时公示参保缴费情况).
- 退费候选名单 and 逾期缴费名单 (county, for the bureau): full ID numbers, evidence and the clause applied.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from yibao import benefits
from yibao.coverage import GAP, PAID
from yibao.masking import mask_id_series, mask_name_series
from yibao.outputs.xlsx import WRITERS, Sheet, display_text, write_xlsx, write_xlsx_groups

REMINDER_HEADERS = {
    "village": "村（社区）", "household_id": "户号", "relation": "与户主关系", "name": "姓名", "id_masked": "身份证号码",
    "sex": "性别", "phone": "联系电话", "address": "住址", "category": "资助类别", "personal_fen": "个人应缴（元）",
    "status_label": "状态",
}
HOUSEHOLD_HEADERS = {"village": "村（社区）", "household_id": "户号", "members": "应参保人数", "paid": "已缴人数",
                     "unpaid": "未缴人数", "unpaid_names": "未缴人员"}
NOTICE_HEADERS = {"seq": "序号", "name": "姓名", "id_masked": "身份证号码", "paid_date": "缴费日期"}
REFUND_HEADERS = {
    "town": "镇街", "village": "村（社区）", "name": "姓名", "id_number": "身份证号码", "paid_date": "缴费日期",
    "paid_fen": "已缴金额（元）", "case": "退费情形", "event_date": "事件日期", "evidence": "证据来源", "clause": "依据条款",
}
LATE_HEADERS = {
    "town": "镇街", "village": "村（社区）", "name": "姓名", "id_number": "身份证号码", "paid_date": "缴费日期",
    "paid_fen": "已缴金额（元）", "late_fen": "逾期缴费标准（元）", "benefit_start": "待遇起始日", "rule_text": "适用规则",
    "benefit_clause": "依据条款",
}


def file_name(text: str) -> str:
    """A town or village name as a file name on any system.

    >>> file_name("东城/西城:社区?"), file_name("..")
    ('东城_西城_社区_', '_')
    """
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip().lstrip(".")
    return cleaned or "_"


def _optional(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Leave out phone/address columns no feed filled."""
    return [c for c in columns if c not in ("phone", "address") or (frame[c] != "").any()]


def _names_by_household(people: pd.DataFrame, households: pd.DataFrame) -> pd.Series:
    """For each household row, its listed people's names joined with 、 (in list order), grouped and joined
    back onto the households in Arrow."""
    keys = ["town", "village", "household_id"]

    def text(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
        return pa.table({k: display_text(frame[k]) for k in columns})

    grouped = text(people, [*keys, "name"]).group_by(keys, use_threads=False).aggregate([("name", "list")])
    names = grouped.select(keys).append_column("names", pc.binary_join(grouped["name_list"], "、"))
    wanted = text(households, keys).append_column("at", pa.array(np.arange(len(households))))
    found = wanted.join(names, keys, join_type="left outer", use_threads=False).sort_by("at")
    return pd.Series(pc.fill_null(found["names"], "").to_pandas(), index=households.index, dtype="str")


def reminder_lists(statuses: pd.DataFrame, households: pd.DataFrame, folder: Path, *, as_of: dt.date,
                   year: int, window_end: dt.date, towns: set[str] | None = None) -> int:
    """One workbook per town with its unpaid people and its partly paid households (only ``towns``' when
    given); returns files written."""
    wanted = [*REMINDER_HEADERS.keys() - {"id_masked"}, "id_number", "town", "status"]
    gap = in_register_order(statuses, statuses["should_insure"] & statuses["status"].isin(GAP), wanted)
    gap["id_masked"] = mask_id_series(gap["id_number"])
    households = households.assign(unpaid_names=_names_by_household(gap, households))
    columns = _optional(gap, list(REMINDER_HEADERS))
    listed = sorted(t for t in {str(t) for frame in (gap, households) for t in frame["town"].unique()}
                    if towns is None or t in towns)
    by_town = {str(t): f for t, f in gap.groupby("town", sort=False, observed=True)}
    homes = {str(t): f for t, f in households.groupby("town", sort=False, observed=True)}

    def write(town: str) -> Path:
        people = by_town.get(town, gap.iloc[0:0])
        partial = homes.get(town, households.iloc[0:0])
        title = (f"{town} {year}年度城乡居民基本医疗保险未缴费人员名单",
                 f"截至 {as_of:%Y-%m-%d}，共 {len(people)} 人；征缴期至 {window_end:%Y-%m-%d}。仅限本镇街催缴使用，请勿外传。")
        return write_xlsx(folder / f"{file_name(town)}.xlsx", [
            Sheet("未缴费人员", people[columns], REMINDER_HEADERS, title=title, money_fen=("personal_fen",)),
            Sheet("部分缴费家庭", partial[list(HOUSEHOLD_HEADERS)], HOUSEHOLD_HEADERS,
                  title=(f"{town} 部分成员未缴费的家庭（共 {len(partial)} 户）",)),
        ])

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:  # Arrow and zlib release the GIL
        return len(list(pool.map(write, listed)))


def in_register_order(people: pd.DataFrame, rows: pd.Series, columns: list[str]) -> pd.DataFrame:
    """``people``'s ``rows`` (a mask) and ``columns``, grouped by town and village (in their sort order) and
    household, households and members in the register's own order. The order is found on codes, so only
    the rows and columns wanted are copied, once.

    >>> people = pd.DataFrame({"town": ["乙镇", "甲镇", "乙镇", "甲镇"], "village": ["一村"] * 4,
    ...                        "household_id": ["H2", "H9", "H1", "H9"], "name": ["a", "b", "c", "d"]})
    >>> in_register_order(people, people["name"] != "d", ["name"])["name"].tolist()
    ['a', 'c', 'b']
    """
    at = np.flatnonzero(rows.to_numpy(dtype=bool))
    household = pd.factorize(people["household_id"].take(at))[0]
    order = np.lexsort((household, _sort_codes(people["village"].take(at)), _sort_codes(people["town"].take(at))))
    return people[columns].take(at[order])


def _sort_codes(values: pd.Series) -> np.ndarray:
    """Integers that sort as ``values`` sort (a category by its place, text by value; missing last)."""
    codes = (values.cat.codes.to_numpy() if isinstance(values.dtype, pd.CategoricalDtype)
             else pd.factorize(values, sort=True)[0])
    return np.where(codes < 0, len(codes) + 1, codes)


def notice_lists(statuses: pd.DataFrame, folder: Path, *, as_of: dt.date, year: int,
                 towns: set[str] | None = None) -> int:
    """One masked 公示 workbook per village, under its town's folder (only ``towns``' villages when given);
    returns files written."""
    listed = statuses["should_insure"] & statuses["status"].isin(PAID)
    if towns is not None:
        listed &= statuses["town"].isin(towns)  # categorical: compared per category
    paid = in_register_order(statuses, listed, ["town", "village", "household_id", "name", "id_number", "paid_date"])
    frame = pd.DataFrame({
        "town": paid["town"], "village": paid["village"],
        "seq": paid.groupby(["town", "village"], observed=True).cumcount() + 1,
        "name": mask_name_series(paid["name"]), "id_masked": mask_id_series(paid["id_number"]),
        "paid_date": paid["paid_date"],
    })

    def title(key: tuple, rows: int) -> tuple[str, ...]:
        town, village = key
        return (f"{town}{village} {year}年度城乡居民基本医疗保险参保缴费公示",
                f"截至 {as_of:%Y-%m-%d}，本村（社区）已缴费 {rows} 人。如有疑问请与村（社区）联系。")

    return write_xlsx_groups(
        Sheet("公示", frame, NOTICE_HEADERS), ["town", "village"],
        lambda key: folder / file_name(key[0]) / f"{file_name(key[1])}.xlsx", title,
    )


def refund_list(candidates: pd.DataFrame, path: Path, *, as_of: dt.date) -> Path:
    title = (f"退费候选名单（截至 {as_of:%Y-%m-%d}，共 {candidates['key'].nunique()} 人）",
             "已缴费但在待遇享受期开始前死亡、参加职工医保或在统筹区外参保的人员，请核实证据后办理退费。")
    frame = candidates.reindex(columns=list(REFUND_HEADERS))
    return write_xlsx(path, [Sheet("退费候选", frame, REFUND_HEADERS, title=title, money_fen=("paid_fen",))])


def late_list(statuses: pd.DataFrame, path: Path, *, as_of: dt.date, late_fen: int) -> Path:
    late = statuses[statuses["status"] == "paid_late"].sort_values(["town", "village", "paid_date"], kind="stable")
    frame = late.assign(late_fen=late_fen, rule_text=benefits.rule_text(late["benefit_rule"]))
    frame["benefit_start"] = frame["benefit_start"].dt.strftime("%Y-%m-%d").fillna("待定（通知未载明等待期）")
    title = (f"逾期缴费人员及待遇起始日（截至 {as_of:%Y-%m-%d}，共 {len(frame)} 人）",)
    return write_xlsx(path, [Sheet("逾期缴费", frame[list(LATE_HEADERS)], LATE_HEADERS, title=title,
                                   money_fen=("paid_fen", "late_fen"))])
