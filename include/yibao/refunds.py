"""Refund candidates: people who paid for the campaign year but, before its benefits start (1 January),
died, joined employee insurance or were insured outside the county — 巨野 二 (菏政发〔2020〕15号第十条):
可以退还参保年度的个人缴费部分.

Each candidate carries the evidence a clerk checks before refunding: which department's feed says so,
which file and row, and the date it gives. A date the feed leaves empty does not clear a candidate; it is
listed as 未载明 for the clerk to check. Counties whose notice has no refund clause still get the list,
marked as needing the higher-level rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from yibao.policy import Policy
from yibao.policy.loader import REFUND_CASES

NO_CLAUSE = "本县通知未载明退费条款，请按上级规定核定"
# Where the evidence is: the department's feed (or the register's note), then the file and row, if any.
# The text is put together only for the candidates, not for every event (tens of thousands of employees).
EVENT_COLUMNS = ["key", "case", "event_date", "evidence", "file", "row"]


def death_events(persons: pd.DataFrame, register_title: str) -> pd.DataFrame:
    """Deaths recorded by the household register, with the status change date."""
    dead = persons["deceased"].fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame({"key": persons["key"].to_numpy()[dead], "case": "death",
                         "event_date": persons["status_date"].to_numpy()[dead],
                         "evidence": f"{register_title}（户籍状态：死亡）", "file": "", "row": 0})


def insured_events(staged: pd.DataFrame, case: str, title: str) -> pd.DataFrame:
    """Employee-insurance or insured-elsewhere rows of a staged feed, with file, row and 参保日期."""
    if staged.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    since = staged["insured_since"] if "insured_since" in staged else pd.Series(pd.NaT, index=staged.index)
    return pd.DataFrame({"key": staged["key"], "case": case, "event_date": since, "evidence": title,
                         "file": staged["_file"], "row": staged["_row"]})


def refund_candidates(statuses: pd.DataFrame, persons: pa.Table, events: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Payers with an event before the benefit year starts (or undated), one row per person and case;
    ``persons`` (key, name, id_number, in the statuses' row order) says who they are."""
    cases = policy.refund.cases if policy.refund else tuple(REFUND_CASES)
    clause = policy.refund.basis.text if policy.refund else NO_CLAUSE
    before = pd.Timestamp(policy.benefit_start)
    relevant = events[events["case"].isin(cases)]
    relevant = relevant[relevant["event_date"].isna() | (relevant["event_date"] < before)]
    at = np.flatnonzero((statuses["paid_date"].notna() & statuses["key"].isin(relevant["key"])).to_numpy())
    payers = statuses.iloc[at][["key", "town", "village", "paid_date", "paid_fen"]].astype({"town": "str", "village": "str"})
    who = persons.select(["key", "name", "id_number"]).take(at).to_pandas()
    if not np.array_equal(who["key"].to_numpy(), payers["key"].to_numpy()):
        raise ValueError("退费候选：人员表与参保状态的行序不一致 (persons are not in the statuses' row order)")
    payers = pd.concat([payers.reset_index(drop=True), who.drop(columns="key")], axis=1)
    found = payers.merge(relevant[relevant["key"].isin(payers["key"])], on="key", how="inner")
    found["case"] = found["case"].map(REFUND_CASES)
    evidence, file = found["evidence"].astype("str"), found["file"].astype("str")
    found["evidence"] = evidence.where(file == "", evidence + " " + file + " 第" + found["row"].astype("str") + "行")
    found["clause"] = clause
    found = found.drop(columns=["file", "row"])
    return found.sort_values(["town", "village", "key", "case"], kind="stable").reset_index(drop=True)
