"""Staging: one feed's rows → canonical typed columns, with every unusable row quarantined and explained.

Nothing is dropped silently: each input row ends up either in the staged table or in the rejections
with reason codes and a Chinese message for the department that sent it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from yibao import ids
from yibao.masking import quote_cells
from yibao.reasons import Problems
from yibao.sources import Source, standard_statuses

LABEL_SEPARATORS = r"[、;；,，/]"
CHANGE_TYPES = {"新增": "add", "增加": "add", "退出": "exit", "减少": "exit"}


@dataclass
class Staged:
    rows: pd.DataFrame  # accepted rows, canonical typed columns + key
    rejected: pd.DataFrame  # rejected rows as read, with reason_codes / reason_text

    @property
    def counts(self) -> dict[str, int]:
        return {"rows_staged": len(self.rows), "rows_rejected": len(self.rejected)}


EXCEL_EPOCH = np.datetime64("1899-12-30")  # day 0 of Excel's serial dates (its 1900 leap-year bug included)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as clerks and systems write them → datetime64 (the day; a time of day is dropped); bad → NaT.

    2023-10-08, 2023/10/8, 2023.10.08, 20231008, 2023年10月8日; with a time after them as a tax or
    household-register export writes it (2023-10-08 10:31:22, 2023-10-08T10:31); and an Excel serial date
    (45207), which is what a date column formatted as 常规 (General) shows.

    >>> parse_dates(pd.Series(["2023-10-08", "2023/10/8", "20231008", "2023-02-30", "", "2023年10月8日"])).tolist()
    [Timestamp('2023-10-08 00:00:00'), Timestamp('2023-10-08 00:00:00'), Timestamp('2023-10-08 00:00:00'), NaT, NaT, \
Timestamp('2023-10-08 00:00:00')]
    >>> parse_dates(pd.Series(["2023-10-08 10:31:22", "2023/10/8 9:05", "2023-10-08T10:31:22.5", "45207", "1:30"])).tolist()
    [Timestamp('2023-10-08 00:00:00'), Timestamp('2023-10-08 00:00:00'), Timestamp('2023-10-08 00:00:00'), \
Timestamp('2023-10-08 00:00:00'), NaT]
    """
    text = values.astype("str").str.strip()
    # Most cells are blank or ISO already: Arrow's strict cast takes those, the loose parse only the rest.
    arrow = pa.array(text, type=pa.string())
    if pc.any(pc.match_substring(arrow, ":")).as_py():  # a time of day after the date: the day is what counts
        arrow = pc.replace_substring_regex(arrow, r"^(\S+?)[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$", r"\1")
        text = pd.Series(arrow.to_pandas(), index=values.index, dtype="str")
    iso = pc.match_substring_regex(arrow, r"^\d{4}-\d{2}-\d{2}$").to_numpy(zero_copy_only=False)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    rest = (text != "").to_numpy(dtype=bool, copy=True)
    try:
        out[iso] = pc.cast(arrow.filter(iso), pa.timestamp("us")).to_numpy(zero_copy_only=False)
        rest &= ~iso
    except pa.ArrowInvalid:  # an impossible day (2023-02-30) among them: the loose parse gives NaT
        pass
    if rest.any():
        loose = text[rest].str.replace(r"[/.年月]", "-", regex=True).str.rstrip("日")
        compact = loose.str.fullmatch(r"\d{8}")
        loose = loose.where(~compact, loose.str.slice(0, 4) + "-" + loose.str.slice(4, 6) + "-" + loose.str.slice(6, 8))
        out[rest] = pd.to_datetime(loose, format="%Y-%m-%d", errors="coerce").to_numpy("datetime64[us]")
        serial = loose.str.fullmatch(r"\d{5}").to_numpy(dtype=bool)
        if serial.any():
            days = loose[serial].astype("int64").to_numpy()
            out[np.flatnonzero(rest)[serial]] = (EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[us]")
    return pd.Series(out, index=values.index)


def _parsed(values: pd.Series, parse) -> pd.Series:
    """``parse`` (Arrow text → Arrow integers, null where unreadable) over the cells as they are, then once
    more over the few it could not read, as a clerk's keyboard may have typed them: full-width digits and
    signs (３８０，￥) folded to ASCII (NFKC), white space dropped."""
    text = pa.array(values.astype("str").str.strip(), type=pa.string())
    parsed = parse(text)
    out = pd.Series(parsed, index=values.index).astype("Int64")
    retry = np.flatnonzero(pc.and_(pc.is_null(parsed), pc.not_equal(text, "")).to_numpy(zero_copy_only=False))
    if len(retry):
        typed = pc.replace_substring_regex(pc.utf8_normalize(text.take(retry), "NFKC"), r"\s+", "")
        out.iloc[retry] = pd.Series(parse(typed)).astype("Int64").to_numpy()
    return out


def _fen(text: pa.Array) -> pa.Array:
    parts = pc.extract_regex(pc.replace_substring(text, ",", ""), r"^¥?(?P<yuan>\d{1,9})(?:\.(?P<fen>\d{1,2}))?元?$")
    yuan = pc.cast(pc.struct_field(parts, "yuan"), pa.int64())
    return pc.add(pc.multiply(yuan, 100), pc.cast(pc.utf8_rpad(pc.struct_field(parts, "fen"), 2, "0"), pa.int64()))


def parse_fen(values: pd.Series) -> pd.Series:
    """Yuan text with at most two decimals → integer fen (exact, no floats); anything else → <NA>. Thousands
    separators, a 元 after the amount and a ¥ before it are what people write around an amount.

    >>> parse_fen(pd.Series(["380", "380.00", "38.5", "1,020.00", "abc", "1.234", ""])).tolist()
    [38000, 38000, 3850, 102000, <NA>, <NA>, <NA>]
    >>> parse_fen(pd.Series(["380元", "￥380.00", "３８０", "1，020.00 元", "-380", "380元整"])).tolist()
    [38000, 38000, 38000, 102000, <NA>, <NA>]
    """
    return _parsed(values, _fen)


def _year(text: pa.Array) -> pa.Array:
    return pc.cast(pc.struct_field(pc.extract_regex(text, r"^(?P<year>\d{4})(?:\.0+)?(?:年度?)?$"), "year"),
                   pa.int64())


def parse_year(values: pd.Series) -> pd.Series:
    """Four-digit years → Int64 (2024年, 2024年度 and a number column's 2024.0 too); anything else → <NA>.

    >>> parse_year(pd.Series(["2024", " 2024 ", "24", "二〇二四", "2024年度", "２０２４年", "2024.0"])).tolist()
    [2024, 2024, <NA>, <NA>, 2024, 2024, 2024]
    """
    return _parsed(values, _year)


def _check_ids(frame: pd.DataFrame, problems: Problems, as_of: dt.date, home_region: str | None) -> pd.DataFrame:
    checked = ids.check(frame["id_number"], as_of=as_of, home_region=home_region)
    described = ids.describe(checked[~checked["valid"].to_numpy()])  # rendered for the invalid IDs only
    problems.add_rendered(described["reason_codes"], described["reason_text"])
    return checked


def stage(
    frame: pd.DataFrame,
    source: Source,
    *,
    as_of: dt.date,
    home_region: str | None,
    resolve_labels: Callable[[pd.Series], pd.Series],
    campaign_start: dt.date | None = None,
    label_attributes: Callable[[pd.Series], pd.DataFrame] | None = None,
) -> Staged:
    """Validate and type one feed's rows (from :func:`yibao.readers.read_feed`).

    ``campaign_start`` is the first day of this year's collection campaign: a 退出 dated before it
    belongs to an earlier year's lists and is sent back rather than applied. ``label_attributes`` gives
    the attribute values a roster label tells by itself (see :func:`yibao.policy.label_attributes`); a
    value written in the row's own column wins.
    """
    frame = frame.reset_index(drop=True)
    problems = Problems(frame.index)
    checked = _check_ids(frame, problems, as_of, home_region)
    out = pd.DataFrame(
        {
            "key": checked["key"].astype("int64"),
            "id_number": checked["normalized"],
            "birth_date": checked["birth_date"],
            "sex": checked["sex"],
            "name": frame["name"].astype("str") if "name" in frame else pd.Series("", index=frame.index, dtype="str"),
        }
    )
    for col in ("town", "village"):
        out[col] = frame[col].astype("str") if col in frame else ""
    if "name" in source.required:
        problems.add(out["name"].str.strip() == "", "NAME_EMPTY")

    out["_file"] = frame["_file"].array
    out["_row"] = frame["_row"].array
    out["_src"] = frame.index
    typer = _TYPERS[source.kind]
    if typer is _roster:
        out = _roster(frame, out, source, problems, resolve_labels, campaign_start, label_attributes)
    else:
        out = typer(frame, out, source, problems, resolve_labels, campaign_start)
    ragged = frame["_ragged"].astype("str") != "" if "_ragged" in frame else pd.Series(False, index=frame.index)
    if ragged.any():  # a ragged row's cells are unknown: its only problem is its shape
        shape = frame["_ragged"].astype("str").str.extract(r"^(\d+)/(\d+)$").fillna("")
        problems.replace(ragged, "ROW_RAGGED", "本行 " + shape[0] + " 列，表头 " + shape[1] + " 列")

    # Rosters hold one row per (person, status); ``_src`` ties each back to the department's row.
    accepted = ~out["_src"].map(problems.rejected).to_numpy()
    keep = out.loc[accepted].drop(columns=["_src"]).reset_index(drop=True)
    bad_rows = problems.rejected.to_numpy()
    rejected = frame.loc[bad_rows].copy()
    rejected["reason_codes"] = problems.codes[bad_rows].to_numpy()
    rejected["reason_text"] = problems.texts[bad_rows].to_numpy()
    rejected.insert(0, "feed", source.id)
    return Staged(keep, rejected.reset_index(drop=True))


def _roster(frame, out, source, problems, resolve_labels, campaign_start, label_attributes=None):
    """One row per (person, status); unknown labels and duplicates are quarantined."""
    labels = frame["category"].astype("str").str.strip()
    problems.add(labels == "", "LABEL_EMPTY")
    several = labels.str.contains(LABEL_SEPARATORS, regex=True)  # most rows carry one label: split only the rest
    exploded = pd.concat([labels[~several], labels[several].str.split(LABEL_SEPARATORS, regex=True).explode()])
    exploded = exploded.sort_index(kind="stable").astype("str").str.strip()
    exploded = exploded[exploded != ""]
    status = resolve_labels(exploded)
    unknown = status.isna()
    if unknown.any():
        bad = quote_cells(exploded[unknown]).groupby(level=0).agg("、".join)
        problems.add(frame.index.isin(bad.index), "LABEL_UNKNOWN", bad.reindex(frame.index, fill_value=""))
    if source.statuses:
        # Groups a rules file defines for itself may come from any roster; standard statuses only from theirs.
        foreign = status.notna() & ~status.isin(list(source.statuses)) & status.isin(standard_statuses())
        if foreign.any():
            bad = status[foreign].groupby(level=0).agg("、".join)
            problems.add(frame.index.isin(bad.index), "LABEL_NOT_FOR_DEPT", bad.reindex(frame.index, fill_value=""))
    rows = out.loc[exploded.index].copy()
    rows["label"] = exploded.to_numpy()
    rows["status"] = status.astype("str").to_numpy()
    rows["source"] = source.id
    for attr in source.attributes:  # roster columns rules may test (declared in the feed config)
        if attr.name not in frame:
            continue
        values, bad = attr.parse(frame[attr.name])
        problems.add_quoted(bad, attr.reason, frame[attr.name], attr.label)
        rows[attr.name] = values.loc[exploded.index].to_numpy()
    if "certified_on" in frame:  # 认定时间: rules may count only statuses certified by a date
        text = frame["certified_on"].astype("str").str.strip()
        when = parse_dates(text)
        problems.add_quoted((text != "") & when.isna(), "DATE_BAD", text, "认定时间")
        rows["certified_on"] = when.loc[exploded.index].to_numpy()
    if label_attributes is not None:  # a label can tell an attribute itself (重度残疾人 ⇒ 残疾等级)
        told = label_attributes(exploded)
        for name in told:
            value = told[name].to_numpy()
            rows[name] = rows[name].fillna(pd.Series(value, index=rows.index)) if name in rows else value
    if source.kind == "roster_changes":
        change_text = frame["change_type"].astype("str").str.strip()
        change = change_text.map(CHANGE_TYPES)
        problems.add_quoted(change.isna(), "CHANGE_TYPE_BAD", change_text)
        written = frame["change_date"].astype("str").str.strip()
        when = parse_dates(written)
        problems.add(written == "", "DATE_MISSING")
        problems.add_quoted(when.isna() & (written != ""), "DATE_BAD", written, "动态调整时间")
        if campaign_start is not None:
            early = (change == "exit") & (when < pd.Timestamp(campaign_start))
            problems.add(early, "EXIT_BEFORE_CAMPAIGN",
                         "退出时间 " + when.dt.strftime("%Y-%m-%d").fillna("") + "，本年度征缴自 "
                         + campaign_start.isoformat() + " 开始")
        rows["change"] = change.loc[exploded.index].to_numpy()
        rows["change_date"] = when.loc[exploded.index].to_numpy()
    else:
        first = ~rows.duplicated(["key", "status"]) | rows["key"].lt(0)
        dup_src = rows.loc[~first, "_src"].unique()
        problems.add(pd.Series(frame.index.isin(dup_src), index=frame.index), "DUPLICATE_ROW")
    return rows.reset_index(drop=True)


def _register(frame, out, source, problems, resolve_labels, campaign_start):
    out["household_id"] = frame["household_id"].astype("str")
    for column in ("relation", "phone", "address"):
        out[column] = frame[column].astype("str") if column in frame else ""
    codes, kinds = pd.factorize(frame["register_status"].astype("str"))  # a handful of distinct statuses
    out["deceased"] = np.array(["死亡" in k for k in kinds], dtype=bool)[codes]
    out["moved_out"] = np.array(["迁出" in k for k in kinds], dtype=bool)[codes]
    out["status_date"] = parse_dates(frame["status_date"]).to_numpy()
    problems.add(pd.Series(out["key"].duplicated() & out["key"].ge(0), index=frame.index), "DUPLICATE_ROW")
    return out


def _residence(frame, out, source, problems, resolve_labels, campaign_start):
    until = parse_dates(frame["permit_valid_until"])
    out["permit_valid_until"] = until.to_numpy()
    problems.add(pd.Series(out["key"].duplicated() & out["key"].ge(0), index=frame.index), "DUPLICATE_ROW")
    return out


def _payments(frame, out, source, problems, resolve_labels, campaign_start):
    fen = parse_fen(frame["paid_amount"])
    problems.add_quoted(fen.isna(), "AMOUNT_BAD", frame["paid_amount"])
    year = parse_year(frame["paid_year"])
    problems.add_quoted(year.isna() | ~year.between(2000, 2100), "YEAR_BAD", frame["paid_year"])
    when = parse_dates(frame["paid_date"])
    problems.add_quoted(when.isna(), "DATE_BAD", frame["paid_date"], "缴费日期")
    # integer columns whatever the file holds: a row with no readable amount or year is rejected above and
    # never published, so its 0 is never read (``to_numpy()`` would give float64 for the whole column)
    out["paid_fen"] = fen.to_numpy("int64", na_value=0)
    out["paid_year"] = year.to_numpy("int64", na_value=0)
    out["paid_date"] = when.to_numpy()
    # ``.array``, not ``to_numpy()``: 800k cells stay Arrow text instead of becoming Python strings and back
    out["channel"] = frame["channel"].astype("str").array if "channel" in frame else ""
    return out


def _insured(frame, out, source, problems, resolve_labels, campaign_start):
    out["insured_since"] = parse_dates(frame["insured_since"]).to_numpy() if "insured_since" in frame else pd.NaT
    problems.add(pd.Series(out["key"].duplicated() & out["key"].ge(0), index=frame.index), "DUPLICATE_ROW")
    return out


_TYPERS = {
    "roster": _roster,
    "roster_changes": _roster,
    "register": _register,
    "residence": _residence,
    "payments": _payments,
    "employee_insured": _insured,
    "insured_elsewhere": _insured,
}
