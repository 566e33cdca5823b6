"""Coverage: every person's status for the campaign year, and the gaps by town, village and household.

全民参保、应保尽保：the population considered is everyone the register or a valid residence permit knows.
Each person gets exactly one status, so the statuses add up to that population:

- excluded first (not to be insured here), with the reason and the department that says so:
  deceased, moved out (公安户籍), employee insurance (医保 职工医保), insured elsewhere (医保 异地参保);
- then, for everyone who should be insured: paid late (after the collection window; benefits start later),
  assisted with the personal part paid / unpaid (a subsidy was decided), paid in the window, not paid.

"Paid" means a tax payment record for the campaign year dated on or before the run date; a fully
subsidized person's record (特殊缴费单据) carries 0.00 yuan and counts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from yibao import benefits
from yibao.jurisdiction import Jurisdiction
from yibao.policy import Policy

# code → Chinese label, in the order reports list them
STATUSES = {
    "paid": "按期缴费",
    "paid_late": "逾期缴费",
    "assisted_paid": "资助对象·个人部分已缴",
    "assisted_unpaid": "资助对象·个人部分未缴",
    "unpaid": "未缴费",
    "excluded_deceased": "不计入·已死亡",
    "excluded_moved_out": "不计入·已迁出",
    "excluded_employee": "不计入·参加职工医保",
    "excluded_elsewhere": "不计入·统筹区外参保",
}
PAID = ("paid", "paid_late", "assisted_paid")
GAP = ("assisted_unpaid", "unpaid")
EXCLUDED = ("excluded_deceased", "excluded_moved_out", "excluded_employee", "excluded_elsewhere")
# What statuses need from persons; who the people are (names, IDs, contacts) stays in the published persons table and is
# joined back by position (statuses keep the persons' row order) where a list needs it.
STATUS_INPUTS = ["key", "birth_date", "town", "village", "household_id", "should_insure", "deceased", "moved_out",
                 "status_date", "employee_insured", "insured_elsewhere"]
IDENTITY_COLUMNS = ["id_number", "name", "sex", "relation", "phone", "address"]
# What statuses and reconciliation need from the tax payment feed (its other columns stay on disk).
PAYMENT_INPUTS = ["key", "paid_year", "paid_date", "paid_fen"]


def first_payments(payments: pd.DataFrame, year: int, as_of: dt.date) -> pd.DataFrame:
    """Per person with a record for ``year`` dated on or before ``as_of``: first date, total paid, records.

    >>> p = pd.DataFrame({"key": [1, 1, 2, 3], "paid_year": [2024, 2024, 2023, 2024],
    ...                   "paid_date": pd.to_datetime(["2023-11-02", "2023-10-01", "2023-10-01", "2024-03-01"]),
    ...                   "paid_fen": [38000, 38000, 38000, 0]})
    >>> first_payments(p, 2024, dt.date(2023, 12, 31)).to_dict("records")
    [{'key': 1, 'paid_date': Timestamp('2023-10-01 00:00:00'), 'paid_fen': 76000, 'records': 2}]
    """
    if payments.empty:
        return pd.DataFrame({"key": pd.Series(dtype="int64"), "paid_date": pd.Series(dtype="datetime64[us]"),
                             "paid_fen": pd.Series(dtype="int64"), "records": pd.Series(dtype="int64")})
    ok = ((payments["paid_year"] == year) & (payments["paid_date"] <= pd.Timestamp(as_of))).fillna(False).to_numpy()
    key = payments["key"].to_numpy()[ok]
    date = payments["paid_date"].to_numpy()[ok]
    fen = payments["paid_fen"].fillna(0).to_numpy(dtype="int64")[ok]
    order = np.argsort(key, kind="stable")  # grouped by person
    key, date, fen = key[order], date[order], fen[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.array([], dtype="int64")
    if not len(first):
        return pd.DataFrame({"key": key, "paid_date": date, "paid_fen": fen, "records": fen})
    earliest = np.minimum.reduceat(date.view("int64"), first).view(date.dtype)
    return pd.DataFrame({"key": key[first], "paid_date": earliest, "paid_fen": np.add.reduceat(fen, first),
                         "records": np.diff(np.r_[first, len(key)])})


def _take(values: pd.Series, at: np.ndarray, missing: object) -> np.ndarray:
    """``values`` at positions ``at`` (from ``get_indexer``), ``missing`` where the position is -1."""
    found = values.reset_index(drop=True).reindex(at)
    return found.where(at >= 0, missing).to_numpy()


def person_statuses(
    persons: pd.DataFrame,
    decisions: pd.DataFrame,
    memberships: pd.DataFrame,
    payments: pd.DataFrame,
    policy: Policy,
    as_of: dt.date,
) -> pd.DataFrame:
    """One row per person, in ``persons``' order: status, payment, subsidy and (late payers) benefit start.

    ``persons`` as published by the identities stage; ``decisions`` has key, category, subsidy_fen and
    personal_fen for should-insure people; ``memberships`` key and status (for no-waiting groups).
    """
    out = persons.reindex(columns=STATUS_INPUTS).reset_index(drop=True)
    for column in ("household_id",):
        if out[column].isna().any():
            out[column] = out[column].astype("str").where(out[column].notna(), "")
    for column in ("town", "village"):  # few distinct values: every later group-by and sort is on codes
        if not isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("str").astype("category")
    for flag in ("should_insure", "deceased", "moved_out", "employee_insured", "insured_elsewhere"):
        out[flag] = out[flag].fillna(False).astype(bool)
    paid = first_payments(payments, policy.year, as_of)
    at = pd.Index(paid["key"]).get_indexer(out["key"])
    out["paid_date"] = _take(paid["paid_date"], at, pd.NaT)
    out["paid_fen"] = pd.array(_take(paid["paid_fen"].astype("float64"), at, np.nan), dtype="Int64")
    out["paid_records"] = _take(paid["records"], at, 0).astype("int64")
    at = pd.Index(decisions["key"]).get_indexer(out["key"])
    subsidy = pd.Series(_take(decisions["subsidy_fen"], at, 0).astype("int64"), index=out.index)
    labels = decisions["category"].astype("str").astype("category")
    codes = np.where((at >= 0) & (subsidy.to_numpy() > 0), labels.cat.codes.to_numpy()[np.maximum(at, 0)], -1)
    out["category"] = pd.Categorical.from_codes(codes, categories=labels.cat.categories).add_categories(
        [""] if "" not in labels.cat.categories else []).fillna("")
    out["subsidy_fen"] = subsidy
    out["personal_fen"] = _take(decisions["personal_fen"], at, policy.personal_fen).astype("int64")

    has_paid = out["paid_date"].notna()
    late = has_paid & benefits.is_late(policy, out["paid_date"])
    codes = list(STATUSES)
    status = np.select(
        [out["deceased"], out["moved_out"], out["employee_insured"], out["insured_elsewhere"],
         late, (subsidy > 0) & has_paid, subsidy > 0, has_paid],
        [codes.index(c) for c in (*EXCLUDED, "paid_late", "assisted_paid", "assisted_unpaid", "paid")],
        default=codes.index("unpaid"),
    )
    out["status"] = pd.Categorical.from_codes(status, categories=codes)  # 9 values: codes, not a million strings
    out["status_label"] = out["status"].map(STATUSES)

    out["benefit_start"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    for column in ("benefit_rule", "benefit_clause"):  # blank for all but late payers: categorical, not 1M strings
        out[column] = pd.Categorical.from_codes(np.zeros(len(out), dtype="int8"), categories=[""])
    late_rows = out["status"] == "paid_late"
    if late_rows.any():
        exempt = set(policy.no_waiting.statuses) if policy.no_waiting else set()
        exempt_keys = memberships.loc[memberships["status"].isin(exempt), "key"] if len(memberships) else []
        group = out.loc[late_rows, "key"].isin(exempt_keys)
        starts = benefits.late_benefit_start(
            policy, out.loc[late_rows, "paid_date"], out.loc[late_rows, "birth_date"], group
        )
        out.loc[late_rows, "benefit_start"] = starts["benefit_start"].to_numpy()
        for column, values in (("benefit_rule", starts["rule"]), ("benefit_clause", starts["clause"])):
            out[column] = out[column].cat.add_categories(sorted(set(values)))
            out.loc[late_rows, column] = values.to_numpy()
    return out.drop(columns=["deceased", "moved_out", "employee_insured", "insured_elsewhere", "status_date"])


def _rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """A share in [0, 1], NaN where there is nothing to divide by (a 0/0 town is not 0%)."""
    return (numerator / denominator.where(denominator > 0)).astype("float64")


def _counts(statuses: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    should = statuses["should_insure"]
    frame = statuses[by].copy()
    frame["should_insure"] = should
    frame["paid"] = statuses["status"].isin(PAID)
    frame["late"] = statuses["status"] == "paid_late"
    frame["assisted_should"] = should & (statuses["subsidy_fen"] > 0)
    frame["assisted_paid"] = frame["assisted_should"] & frame["paid"]
    frame["excluded"] = ~should
    counts = frame.groupby(by, sort=False, observed=True).sum().astype("int64")
    names = counts.index.to_frame(index=False).astype("str")  # plain labels, whatever the key dtype
    counts.index = pd.MultiIndex.from_frame(names) if len(by) > 1 else pd.Index(names[by[0]], name=by[0])
    counts["gap"] = counts["should_insure"] - counts["paid"]
    counts["rate"] = _rate(counts["paid"], counts["should_insure"])
    counts["assisted_rate"] = _rate(counts["assisted_paid"], counts["assisted_should"])
    return counts


def by_town(statuses: pd.DataFrame, jurisdiction: Jurisdiction, households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per town in the notice's order (unknown towns last): counts, gap, rates, task target and progress;
    ``households`` is :func:`partial_households` when the caller has it already."""
    counts = _counts(statuses, ["town"])
    order = [t.name for t in jurisdiction.towns]
    extra = sorted(set(counts.index) - set(order))
    report = counts.reindex(order + extra)
    numbers = [c for c in report.columns if c not in ("rate", "assisted_rate")]
    report[numbers] = report[numbers].fillna(0).astype("int64")
    tasks = {t.name: t.task_population for t in jurisdiction.towns}
    report["task_population"] = pd.array([tasks.get(t) for t in report.index], dtype="Int64")
    report["task_rate"] = _rate(report["paid"], report["task_population"].astype("float64"))
    households = partial_households(statuses) if households is None else households
    report["partial_households"] = households.groupby("town").size().reindex(report.index)
    report["partial_households"] = report["partial_households"].fillna(0).astype("int64")
    report.index.name = "town"
    return report.reset_index()[
        ["town", "task_population", "should_insure", "paid", "gap", "rate", "task_rate", "late",
         "assisted_should", "assisted_paid", "assisted_rate", "excluded", "partial_households"]
    ]


def by_village(statuses: pd.DataFrame) -> pd.DataFrame:
    """Per village (within its town): counts, gap and rates, lowest rate first within each town."""
    counts = _counts(statuses, ["town", "village"]).reset_index()
    return counts[["town", "village", "should_insure", "paid", "gap", "rate", "late", "assisted_should",
                   "assisted_paid", "assisted_rate", "excluded"]].sort_values(
        ["town", "rate", "village"], kind="stable").reset_index(drop=True)


def partial_households(statuses: pd.DataFrame) -> pd.DataFrame:
    """Households (户) where some members who should insure have paid and others have not (户不漏人)."""
    mask = (statuses["should_insure"] & (statuses["household_id"] != "")).to_numpy()
    rows = statuses.loc[mask, ["town", "village", "household_id", "status"]]
    household, _ = pd.factorize(rows["household_id"])
    village, villages = pd.factorize(rows["village"])
    town, towns = pd.factorize(rows["town"])
    # a household is its number within its village and town (户号 may repeat across 派出所)
    code, _ = pd.factorize((household.astype("int64") * len(villages) + village) * len(towns) + town)
    members = np.bincount(code)
    paid = np.bincount(code, weights=rows["status"].isin(PAID).to_numpy()).astype("int64")
    partial = np.flatnonzero((paid > 0) & (paid < members))
    first = np.empty(len(members), dtype="int64")
    first[code[::-1]] = np.arange(len(code))[::-1]  # reversed, so each household's first row is written last
    first = first[partial]
    # only the partial households' rows are taken (not a million Arrow strings turned into objects)
    out = rows.iloc[first][["town", "village", "household_id"]].astype("str").reset_index(drop=True).assign(
        members=members[partial], paid=paid[partial], unpaid=members[partial] - paid[partial])
    return out.sort_values(["town", "village", "household_id"], kind="stable").reset_index(drop=True)


def assisted_by_category(statuses: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Assisted groups' coverage per category (target 100%), in the rules file's priority order."""
    assisted = statuses.loc[statuses["should_insure"] & (statuses["subsidy_fen"] > 0), ["category", "status"]]
    counts = pd.DataFrame({"category": assisted["category"].astype("str"), "should_insure": 1,
                           "paid": assisted["status"].isin(PAID)}).groupby("category").sum()
    order = [c.label for c in sorted(policy.categories, key=lambda c: c.priority)]
    counts = counts.reindex(order + sorted(set(counts.index) - set(order))).fillna(0).astype("int64")
    counts["gap"] = counts["should_insure"] - counts["paid"]
    counts["rate"] = _rate(counts["paid"], counts["should_insure"])
    counts.index.name = "category"
    return counts.reset_index()


def status_counts(statuses: pd.DataFrame) -> dict[str, int]:
    """Status code → persons, every status listed (zeros included); the values add up to the population."""
    counts = statuses["status"].value_counts()
    return {code: int(counts.get(code, 0)) for code in STATUSES}


def days_left(policy: Policy, as_of: dt.date) -> int:
    """Days of the collection window still open after ``as_of`` (0 once it has closed).

    >>> from yibao import policy
    >>> days_left(policy.load("wenxi-2024"), dt.date(2023, 12, 20)), days_left(policy.load("wenxi-2024"), dt.date(2024, 1, 5))
    (5, 0)
    """
    return max((policy.collection_window[1] - as_of).days, 0)
