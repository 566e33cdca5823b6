"""Coverage: who should be insured, who has paid, and the gap per town against its task target."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from yibao.jurisdiction import Jurisdiction


def paid_keys(payments: pd.DataFrame, year: int, as_of: dt.date) -> pd.Index:
    """People with a payment record for the campaign ``year`` dated on or before ``as_of``.

    A fully subsidized person's record (特殊缴费单据) carries 0.00 yuan personal payment and still counts.
    """
    if payments.empty:
        return pd.Index([], dtype="int64")
    ok = (payments["paid_year"] == year) & (payments["paid_date"] <= pd.Timestamp(as_of))
    return pd.Index(payments.loc[ok.fillna(False), "key"].unique())


def coverage_by_town(persons: pd.DataFrame, paid: pd.Index, jurisdiction: Jurisdiction) -> pd.DataFrame:
    """Should-insure, paid and gap per town, towns in the notice's order; unknown towns come last."""
    should = persons[persons["should_insure"]]
    frame = pd.DataFrame({"town": should["town"].astype("str"), "paid": should["key"].isin(paid)})
    counts = frame.groupby("town", sort=False).agg(should_insure=("paid", "size"), paid=("paid", "sum"))
    order = [t.name for t in jurisdiction.towns]
    extra = sorted(set(counts.index) - set(order))
    report = counts.reindex(order + extra, fill_value=0).astype("int64")
    report["gap"] = report["should_insure"] - report["paid"]
    tasks = {t.name: t.task_population for t in jurisdiction.towns}
    report["task_population"] = pd.array([tasks.get(t) for t in report.index], dtype="Int64")
    report.index.name = "town"
    return report.reset_index()[["town", "task_population", "should_insure", "paid", "gap"]]
