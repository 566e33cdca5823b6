"""Refund candidates: people who paid for the campaign year but, before its benefits start (1 January),
died, joined employee insurance or were insured outside the county — 巨野 二 (菏政发〔2020〕15号第十条):
可以退还参保年度的个人缴费部分.

Each candidate carries the evidence a clerk checks before refunding: which department's feed says so,
which file and row, and the date it gives. A date the feed leaves empty does not clear a candidate; it is
listed as 未载明 for the clerk to check. Counties whose notice has no refund clause still get the list,
marked as needing the higher-level rule.
"""

from __future__ import annotations

import pandas as pd

from yibao.policy import Policy
from yibao.policy.loader import REFUND_CASES

NO_CLAUSE = "本县通知未载明退费条款，请按上级规定核定"
EVENT_COLUMNS = ["key", "case", "event_date", "evidence"]


def death_events(persons: pd.DataFrame, register_title: str) -> pd.DataFrame:
    """Deaths recorded by the household register, with the status change date."""
    dead = persons[persons["deceased"].fillna(False).astype(bool)]
    return pd.DataFrame({"key": dead["key"], "case": "death", "event_date": dead["status_date"],
                         "evidence": f"{register_title}（户籍状态：死亡）"})


def insured_events(staged: pd.DataFrame, case: str, title: str) -> pd.DataFrame:
    """Employee-insurance or insured-elsewhere rows of a staged feed, with file, row and 参保日期."""
    if staged.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    since = staged["insured_since"] if "insured_since" in staged else pd.Series(pd.NaT, index=staged.index)
    where = staged["_file"].astype("str") + " 第" + staged["_row"].astype("str") + "行"
    return pd.DataFrame({"key": staged["key"], "case": case, "event_date": since, "evidence": title + " " + where})


def refund_candidates(statuses: pd.DataFrame, persons: pd.DataFrame, events: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Payers with an event before the benefit year starts (or undated), one row per person and case;
    ``persons`` (key, name, id_number) says who they are."""
    cases = policy.refund.cases if policy.refund else tuple(REFUND_CASES)
    clause = policy.refund.basis.text if policy.refund else NO_CLAUSE
    before = pd.Timestamp(policy.benefit_start)
    relevant = events[events["case"].isin(cases)]
    relevant = relevant[relevant["event_date"].isna() | (relevant["event_date"] < before)]
    payers = statuses.loc[statuses["paid_date"].notna() & statuses["key"].isin(relevant["key"]),
                          ["key", "town", "village", "paid_date", "paid_fen"]]
    payers = payers.astype({"town": "str", "village": "str"}).merge(
        persons.loc[persons["key"].isin(payers["key"]), ["key", "name", "id_number"]], on="key", how="left")
    found = payers.merge(relevant, on="key", how="inner")
    found["case"] = found["case"].map(REFUND_CASES)
    found["clause"] = clause
    return found.sort_values(["town", "village", "key", "case"], kind="stable").reset_index(drop=True)
