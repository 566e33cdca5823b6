"""Dynamic adjustments (新增/退出, 闻喜 附件3) with their effective dates: who holds a status on a given
day, and which file, row and date decided it.

The total roster (附件2) is the baseline; for each (person, status) the latest adjustment effective on or
before the day overrides it — 新增 makes the person a member from its date, 退出 ends it. The same rule
builds the memberships (:func:`apply_changes`) and answers "why" (:func:`explain`), so the two agree.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

PAIR = ["key", "status"]


def latest_changes(changes: pd.DataFrame, on: dt.date) -> pd.DataFrame:
    """The deciding adjustment per (person, status): the latest one effective on or before ``on``
    (for two on the same day, the later row in the later file)."""
    effective = changes[changes["change_date"] <= pd.Timestamp(on)]
    ordered = effective.sort_values(["change_date", "_file", "_row"], kind="stable")
    return ordered.drop_duplicates(PAIR, keep="last")


def apply_changes(roster: pd.DataFrame, changes: pd.DataFrame, on: dt.date) -> pd.DataFrame:
    """The roster as of ``on``: rows whose status was ended by a 退出 removed, 新增 rows added."""
    if changes.empty:
        return roster
    latest = latest_changes(changes, on)
    exits = latest[latest["change"] == "exit"]
    adds = latest[latest["change"] == "add"]
    kept = roster.merge(exits[PAIR], on=PAIR, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([kept, adds[kept.columns.intersection(adds.columns)]], ignore_index=True)


def _where(row: pd.Series) -> str:
    return f"{row['_file']} 第{int(row['_row'])}行"


def explain(roster: pd.DataFrame, changes: pd.DataFrame, key: int, on: dt.date) -> pd.DataFrame:
    """For one person on one day: each status any list gives them, whether they hold it, and why.

    Columns: status, member, decided_by (roster / add / exit / none), source, file, row, date, reason.
    """
    mine_roster = roster[roster["key"] == key] if len(roster) else roster
    mine_changes = changes[changes["key"] == key] if len(changes) else changes
    statuses = sorted(set(mine_roster.get("status", [])) | set(mine_changes.get("status", [])))
    latest = latest_changes(mine_changes, on).set_index("status") if len(mine_changes) else pd.DataFrame()
    rows = []
    for status in statuses:
        if status in latest.index:
            change = latest.loc[status]
            member = change["change"] == "add"
            kind = "新增" if member else "退出"
            rows.append({"status": status, "member": member, "decided_by": change["change"],
                         "source": change["source"], "file": change["_file"], "row": int(change["_row"]),
                         "date": change["change_date"].date(),
                         "reason": f"{_where(change)} {kind}，动态调整时间 {change['change_date']:%Y-%m-%d}"})
        elif status in set(mine_roster.get("status", [])):
            first = mine_roster[mine_roster["status"] == status].iloc[0]
            rows.append({"status": status, "member": True, "decided_by": "roster", "source": first["source"],
                         "file": first["_file"], "row": int(first["_row"]), "date": None,
                         "reason": f"{_where(first)}（总名单），此后无生效的动态调整"})
        else:
            first = mine_changes[mine_changes["status"] == status].sort_values("change_date").iloc[0]
            rows.append({"status": status, "member": False, "decided_by": "none", "source": first["source"],
                         "file": first["_file"], "row": int(first["_row"]), "date": None,
                         "reason": f"不在总名单；最早的动态调整（{_where(first)}）"
                                   f"{first['change_date']:%Y-%m-%d} 才生效"})
    columns = ["status", "member", "decided_by", "source", "file", "row", "date", "reason"]
    return pd.DataFrame(rows, columns=columns)
