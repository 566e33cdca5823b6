"""Feedback workbooks: each department gets back the rows of its drops that could not be used.

闻喜's notice asks departments to correct what the 医保局 sends back (对县医保局反馈信息有误的，要及时核实修改后
报至县医保局). One workbook per department per run, in the dated outbox: a cover sheet (counts per problem
and what to do about each), then one sheet per file (per sheet, named as the department named it, for a
workbook sent one sheet per town) in the department's own layout — its title rows and the columns it sent,
in its order — plus 问题代码, 问题说明, 建议身份证号码 and 原表行号. Rows come from staging
(the row as read) and from the register cross-check (looked up in the as-read roster by file and row).
Full IDs are fine here: it is the department's own data, and only its rows are in its workbook.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from yibao import ids, storage
from yibao.outputs.outbox import day_dir, replace_dir
from yibao.outputs.xlsx import Sheet, overlap, write_xlsx
from yibao.readers import frame_columns
from yibao.reasons import ROW_REASONS
from yibao.settings import Settings
from yibao.sources import Source, load_sources
from yibao.stages.files import rejections_path

FOLDER = "部门反馈"
ROSTER_KINDS = ("roster", "roster_changes")
PROBLEM_COLUMNS = {"reason_codes": "问题代码", "reason_text": "问题说明", "suggested_id": "建议身份证号码",
                   "_row": "原表行号"}


def received_dir(settings: Settings) -> Path:
    return settings.staging / "received"


def keep_received(settings: Settings, source: Source, frame: pd.DataFrame) -> None:
    """Keep what the feedback needs from a drop as read: each file's layout, and a roster's rows
    (a cross-check rejection is found there by file and row). Other feeds' rejected rows are already
    kept as read by staging."""
    folder = received_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    layout = folder / f"{source.id}.layout.json"
    tmp = layout.with_name(f".{layout.name}.tmp")
    tmp.write_text(json.dumps(frame.attrs.get("layout", {}), ensure_ascii=False), encoding="utf-8")
    tmp.replace(layout)
    if source.kind in ROSTER_KINDS:
        storage.publish_frame(frame, folder / f"{source.id}.arrow")


def problem_text(code: str) -> tuple[str, str]:
    """(what is wrong, what to do) for a rejection code, from the ID reasons or the row reasons."""
    if code in ids.REASONS:
        reason = ids.REASONS[code]
        return reason.message.split("，应为{check}")[0], reason.hint
    reason = ROW_REASONS.get(code)
    return (reason.message, reason.hint) if reason else (code, "请核实")


def _joined(values: pd.Series, sep: str) -> str:
    return sep.join(dict.fromkeys(p for v in values for p in str(v).split(sep) if p))


def _rejected_rows(settings: Settings, feed: str, crosscheck: pd.DataFrame) -> pd.DataFrame:
    """This feed's rejected rows as read, one per (file, row), with codes and messages of both stages."""
    parts = []
    path = rejections_path(settings, feed)
    if path.exists():
        parts.append(storage.read_staged(path))
    mine = crosscheck[crosscheck["source"] == feed] if len(crosscheck) else crosscheck
    received = received_dir(settings) / f"{feed}.arrow"
    if len(mine) and received.exists():
        reasons = mine.groupby(["_file", "_row"], sort=False).agg(
            reason_codes=("reason_codes", lambda s: _joined(s, ",")),
            reason_text=("reason_text", lambda s: _joined(s, "；")),
        ).reset_index()
        parts.append(storage.read_staged(received).merge(reasons, on=["_file", "_row"], how="inner"))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).drop_duplicates(["_file", "_row"]).reset_index(drop=True)


def _file_sheet(name: str, rows: pd.DataFrame, source: Source, layout: dict) -> Sheet:
    """One file's rejected rows in the department's layout, then the problem columns."""
    header = layout.get("header") or [source.header(c) for c in source.columns]
    wanted = frame_columns(source, header)
    frame = pd.DataFrame({f"c{i}": rows[c].fillna("") if c in rows else "" for i, c in enumerate(wanted)},
                         index=rows.index)
    headers = {f"c{i}": h for i, h in enumerate(header)}
    if (rows.get("_raw", pd.Series("", index=rows.index)).fillna("") != "").any():
        frame["raw"] = rows["_raw"].fillna("")
        headers["raw"] = "原始内容（列数不符的行）"
    for column, title in PROBLEM_COLUMNS.items():
        frame[column] = rows.get(column, "")
        headers[column] = title
    frame["suggested_id"] = frame["suggested_id"].fillna("")
    # a title over the table is one line; a row with cells elsewhere (a super-header) keeps its columns and
    # its merges (人员信息 over two columns, 序号 down over both header rows)
    rows_above = layout.get("title", [])
    title = tuple(tuple(cells) if len(cells) > 1 else "".join(cells) for cells in rows_above)
    merges: tuple[tuple[int, ...], ...] = ()
    for m in layout.get("title_merges", []):  # as sent, but never over a title line or another merge
        if not any(isinstance(t, str) for t in title[m[0]:m[2] + 1]) and m[3] < len(header) and not any(
                overlap(m, kept) for kept in merges):
            merges += (tuple(m),)
    block = len(title)  # the header's own rows above it: each merged down into the rows under it
    while block and not isinstance(title[block - 1], str) and any(m[0] == block - 1 < m[2] for m in merges):
        block -= 1
    return Sheet(name, frame.reset_index(drop=True), headers, title=title, header_merges=merges,
                 header_rows=len(title) - block)


PASSED_OVER_SHOWN = 20  # row numbers listed per file on the cover; the rest counted


def _passed_over(layouts: dict[str, dict]) -> str:
    """The cover's line on rows read as the table's own furniture, per file, so the department can tell
    if one of them was a person after all.

    >>> _passed_over({"总名单.xlsx": {"passed_over": [[40, "合计"], [41, "表尾"]]}, "x.csv": {}})
    '以下行识别为表格本身的标题、表头、合计或表尾，未作为人员读取（如有误请告知）：总名单.xlsx 第40行（合计）、第41行（表尾）'
    """
    parts = []
    for file, layout in layouts.items():
        rows = layout.get("passed_over", [])
        if rows:
            listed = "、".join(f"第{n}行（{kind}）" for n, kind in rows[:PASSED_OVER_SHOWN])
            parts.append(f"{file} {listed}" + (f" 等 {len(rows)} 行" if len(rows) > PASSED_OVER_SHOWN else ""))
    return "以下行识别为表格本身的标题、表头、合计或表尾，未作为人员读取（如有误请告知）：" + "；".join(parts) if parts else ""


def _cover(department: str, county: str, as_of: dt.date, rows: pd.DataFrame, files: pd.Series,
           passed_over: str = "") -> Sheet:
    codes = rows["reason_codes"].str.split(",").explode()
    counts = codes[codes != ""].value_counts()
    texts = [problem_text(c) for c in counts.index]
    frame = pd.DataFrame({"code": counts.index, "message": [t[0] for t in texts], "rows": counts.to_numpy(),
                          "hint": [t[1] for t in texts]})
    title = (
        f"{county}医疗保障局 · {department}报送数据反馈",
        f"统计日期：{as_of.isoformat()}；共 {len(rows)} 行未能使用，请按“处理建议”核实修改后重新报送。",
        "涉及文件：" + "；".join(f"{f}（{n} 行）" for f, n in files.items()),
        ("各工作表为贵单位原表格式，末尾列为问题代码、问题说明、建议身份证号码（据户籍信息推测，请核实）和原表行号"
         "（表头下的第几行数据，不计标题行和表头；下文“第N行”同此）。"),
        *([passed_over] if passed_over else []),
    )
    return Sheet("说明", frame, {"code": "问题代码", "message": "问题说明", "rows": "行数", "hint": "处理建议"},
                 title=title)


def _layouts(settings: Settings, source: Source) -> dict[str, dict]:
    """Each file's layout as :func:`keep_received` kept it (none when the feed sent nothing)."""
    path = received_dir(settings) / f"{source.id}.layout.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_feedback(settings: Settings, *, as_of: dt.date, county_name: str) -> dict:
    """Write one workbook per department with rejected rows into ``<outbox>/<as_of>/部门反馈/`` (replaced
    whole on a rerun); returns the folder and counts (no personal data)."""
    crosscheck_path = rejections_path(settings, "_crosscheck")
    crosscheck = storage.read_staged(crosscheck_path) if crosscheck_path.exists() else pd.DataFrame()
    suggestions_path = rejections_path(settings, "_suggestions")
    suggestions = storage.read_staged(suggestions_path) if suggestions_path.exists() else pd.DataFrame(
        columns=["feed", "file", "row_no", "suggested_id"])
    suggestions = suggestions.rename(columns={"file": "_file", "row_no": "_row"})
    by_department: dict[str, list[tuple[Source, pd.DataFrame]]] = {}
    for feed, source in load_sources().items():
        rows = _rejected_rows(settings, feed, crosscheck)
        if rows.empty:
            continue
        mine = suggestions.loc[suggestions["feed"] == feed, ["_file", "_row", "suggested_id"]]
        rows = rows.merge(mine.drop_duplicates(["_file", "_row"]), on=["_file", "_row"], how="left")
        by_department.setdefault(source.department, []).append((source, rows))
    counts: dict[str, int] = {}

    def build(folder: Path) -> None:
        for department, feeds in by_department.items():
            sheets, everything, files = [], [], {}
            for source, rows in feeds:
                layouts = _layouts(settings, source)
                names = sorted(rows["_file"].unique())
                for n, file in enumerate(names, start=1):
                    part = rows[rows["_file"] == file].sort_values("_row")
                    layout = layouts.get(file, {})  # a roster sent one sheet per town comes back that way
                    label = layout.get("sheet") or (source.title if len(names) == 1 else f"{source.title}{n}")
                    sheets.append(_file_sheet(label, part, source, layout))
                    files[file] = len(part)
                everything.append(rows[["reason_codes"]])
            all_rows = pd.concat(everything, ignore_index=True)
            received = {f: layout for s in load_sources().values() if s.department == department
                        for f, layout in _layouts(settings, s).items()}  # every feed of it, rejections or not
            cover = _cover(department, county_name, as_of, all_rows, pd.Series(files), _passed_over(received))
            write_xlsx(folder / f"{department}_数据反馈_{as_of.isoformat()}.xlsx", [cover, *sheets])
            counts[department] = len(all_rows)

    folder = replace_dir(day_dir(settings, as_of) / FOLDER, build)
    return {"folder": str(folder), "workbooks": len(counts), "rows": sum(counts.values()), "by_department": counts}
