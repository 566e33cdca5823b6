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


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as clerks write them (2023-10-08, 2023/10/8, 2023.10.08, 20231008) → datetime64; bad → NaT.

    >>> parse_dates(pd.Series(["2023-10-08", "2023/10/8", "20231008", "2023-02-30", "", "2023年10月8日"])).tolist()
    [Timestamp('2023-10-08 00:00:00'), Timestamp('2023-10-08 00:00:00'), Timestamp('2023-10-08 00:00:00'), NaT, NaT, \
Timestamp('2023-10-08 00:00:00')]
    """
    text = values.astype("str").str.strip()
    # Most cells are blank or ISO already: Arrow's strict cast takes those, the loose parse only the rest.
    arrow = pa.array(text, type=pa.string())
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
    return pd.Series(out, index=values.index)


def parse_fen(values: pd.Series) -> pd.Series:
    """Yuan text with at most two decimals → integer fen (exact, no floats); anything else → <NA>.

    >>> parse_fen(pd.Series(["380", "380.00", "38.5", "1,020.00", "abc", "1.234", ""])).tolist()
    [38000, 38000, 3850, 102000, <NA>, <NA>, <NA>]
    """
    text = pa.array(values.astype("str").str.strip().str.replace(",", "", regex=False), type=pa.string())
    parts = pc.extract_regex(text, r"^(?P<yuan>\d{1,9})(?:\.(?P<fen>\d{1,2}))?$")
    yuan = pc.cast(pc.struct_field(parts, "yuan"), pa.int64())
    cents = pc.cast(pc.utf8_rpad(pc.struct_field(parts, "fen"), 2, "0"), pa.int64())
    return pd.Series(pc.add(pc.multiply(yuan, 100), cents), index=values.index).astype("Int64")


def parse_year(values: pd.Series) -> pd.Series:
    """Four-digit years → Int64; anything else → <NA>.

    >>> parse_year(pd.Series(["2024", " 2024 ", "24", "二〇二四"])).tolist()
    [2024, 2024, <NA>, <NA>]
    """
    text = pa.array(values.astype("str").str.strip(), type=pa.string())
    digits = pc.if_else(pc.match_substring_regex(text, r"^\d{4}$"), text, pa.scalar(None, pa.string()))
    return pd.Series(pc.cast(digits, pa.int64()), index=values.index).astype("Int64")


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
