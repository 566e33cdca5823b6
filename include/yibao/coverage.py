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
import pyarrow as pa
import pyarrow.compute as pc

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


def first_payments(payments: pd.DataFrame, keys: np.ndarray, year: int, as_of: dt.date) -> pd.DataFrame:
    """Per person of ``keys`` (in that order): first date, total paid and records of their payments for
    ``year`` dated on or before ``as_of`` (NaT, NA and 0 for none). Payments are summed onto the persons'
    positions, without sorting the payment records.

    >>> p = pd.DataFrame({"key": [1, 1, 2, 3], "paid_year": [2024, 2024, 2023, 2024],
    ...                   "paid_date": pd.to_datetime(["2023-11-02", "2023-10-01", "2023-10-01", "2024-03-01"]),
    ...                   "paid_fen": [38000, 38000, 38000, 0]})
    >>> first_payments(p, np.array([3, 1, 2]), 2024, dt.date(2023, 12, 31)).to_dict("list")
    {'paid_date': [NaT, Timestamp('2023-10-01 00:00:00'), NaT], 'paid_fen': [None, 76000, None], 'records': [0, 2, 0]}
    """
    at = date = fen = np.array([], dtype="int64")
    dtype = np.dtype("datetime64[us]")
    if not payments.empty:
        ok = ((payments["paid_year"] == year) & (payments["paid_date"] <= pd.Timestamp(as_of))).fillna(False).to_numpy()
        at = pd.Index(keys).get_indexer(payments["key"].to_numpy()[ok])
        known = at >= 0
        at, dtype = at[known], payments["paid_date"].dtype
        date = payments["paid_date"].to_numpy()[ok][known].view("int64")
        fen = payments["paid_fen"].fillna(0).to_numpy(dtype="int64")[ok][known]
    n = len(keys)
    records = np.bincount(at, minlength=n).astype("int64")
    total = np.zeros(n, dtype="int64")
    np.add.at(total, at, fen)  # integer fen: exact
    earliest = np.full(n, np.iinfo("int64").max, dtype="int64")
    np.minimum.at(earliest, at, date)
    none = records == 0
    earliest[none] = np.datetime64("NaT").view("int64")
    return pd.DataFrame({"paid_date": earliest.view(dtype), "paid_fen": pd.arrays.IntegerArray(total, none),
                         "records": records})


def _positions(keys: np.ndarray, subset: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Where each of ``keys`` is in ``subset`` (-1: absent). When ``subset`` is the ``among`` rows of
    ``keys`` in their order (as decisions are published), that is a running count and needs no hash table.

    >>> keys, among = np.array([5, 7, 9]), np.array([True, False, True])
    >>> _positions(keys, np.array([5, 9]), among).tolist(), _positions(keys, np.array([9, 5]), among).tolist()
    ([0, -1, 1], [1, -1, 0])
    """
    if among.sum() == len(subset) and np.array_equal(keys[among], subset):
        at = np.full(len(keys), -1, dtype="int64")
        at[among] = np.arange(len(subset))
        return at
    return pd.Index(subset).get_indexer(keys)


def _take(values: pd.Series, at: np.ndarray, missing: object) -> np.ndarray:
    """``values`` at positions ``at`` (from :func:`_positions`), ``missing`` where the position is -1."""
    if not len(values):
        return np.full(len(at), missing)
    return np.where(at >= 0, values.to_numpy()[np.maximum(at, 0)], missing)


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
    if out["household_id"].isna().any():  # in Arrow a null filled with "" keeps the text buffers: no copy
        out["household_id"] = pd.Series(pc.fill_null(pa.array(out["household_id"]), ""), dtype="str", index=out.index)
    for column in ("town", "village"):  # few distinct values: every later group-by and sort is on codes
        if not isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("str").astype("category")
    for flag in ("should_insure", "deceased", "moved_out", "employee_insured", "insured_elsewhere"):
        out[flag] = out[flag].fillna(False).astype(bool)
    paid = first_payments(payments, out["key"].to_numpy(), policy.year, as_of)
    out["paid_date"] = paid["paid_date"].to_numpy()
    out["paid_fen"] = paid["paid_fen"].array
    out["paid_records"] = paid["records"].to_numpy()
    at = _positions(out["key"].to_numpy(), decisions["key"].to_numpy(), out["should_insure"].to_numpy())
    subsidy = pd.Series(_take(decisions["subsidy_fen"], at, 0).astype("int64"), index=out.index)
    labels = decisions["category"].astype("category")  # published as a dictionary: no million strings here
    labels = labels.cat.reorder_categories(sorted(labels.cat.categories))
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


ADDITIVE = ["should_insure", "paid", "late", "assisted_should", "assisted_paid", "excluded"]  # person counts


def _counts(statuses: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts per group of ``by`` (groups without people left out), with gap and rates."""
    return _derived(_tally(statuses, by))


def _tally(statuses: pd.DataFrame, by: list[str], weights: np.ndarray | None = None) -> pd.DataFrame:
    """The :data:`ADDITIVE` counts per group of ``by`` (each row counted ``weights`` times, default once):
    summed on the columns' codes with ``bincount``, since towns and villages are few and a million-row
    group-by costs more than the sums."""
    group = np.zeros(len(statuses), dtype="int64")
    levels = []
    for column in by:
        codes, uniques = pd.factorize(statuses[column])
        group = np.where(codes < 0, -1, group * len(uniques) + codes) if len(uniques) else codes.astype("int64")
        levels.append(pd.Index(uniques).astype("str"))  # plain labels, whatever the key dtype
    kept = group >= 0
    size = int(np.prod([len(u) for u in levels]))
    if size > len(group):  # many sparse combinations: number the ones present instead
        group[kept], present = pd.factorize(group[kept])
    else:
        present = np.arange(size)
    should = statuses["should_insure"].to_numpy(dtype=bool)
    paid = statuses["status"].isin(PAID).to_numpy()
    assisted = should & (statuses["subsidy_fen"].to_numpy() > 0)
    flags = {"should_insure": should, "paid": paid, "late": (statuses["status"] == "paid_late").to_numpy(),
             "assisted_should": assisted, "assisted_paid": assisted & paid}
    # one count per group and combination of flags, then each flag's total over the combinations holding it
    bits = np.zeros(len(group), dtype="uint8")
    for bit, values in enumerate(flags.values()):
        bits |= values.view("uint8") << bit
    combined = group * 32 + bits
    if weights is not None:
        weights = weights[kept]
    tally = np.bincount(combined if kept.all() else combined[kept], weights,
                        minlength=len(present) * 32).astype("int64").reshape(-1, 32)
    holds = np.arange(32)
    counts = pd.DataFrame({name: tally[:, (holds >> bit) & 1 == 1].sum(axis=1) for bit, name in enumerate(flags)})
    counts["excluded"] = tally.sum(axis=1) - counts["should_insure"]
    parts = []
    combination = present
    for labels in reversed(levels):
        combination, code = np.divmod(combination, len(labels))
        parts.append(labels[code])
    counts.index = pd.MultiIndex.from_arrays(parts[::-1], names=by) if len(by) > 1 else pd.Index(parts[0], name=by[0])
    return counts


def _derived(counts: pd.DataFrame) -> pd.DataFrame:
    """Groups with people only, with their gap and rates."""
    counts = counts[counts["should_insure"] + counts.get("excluded", 0) > 0]
    counts["gap"] = counts["should_insure"] - counts["paid"]
    counts["rate"] = _rate(counts["paid"], counts["should_insure"])
    if "assisted_paid" in counts:
        counts["assisted_rate"] = _rate(counts["assisted_paid"], counts["assisted_should"])
    return counts


def shifted(published: pd.DataFrame, by: list[str], gone: pd.DataFrame, came: pd.DataFrame) -> pd.DataFrame:
    """Counts per group of ``by`` as in a published table (:func:`by_town`, :func:`by_village`,
    :func:`assisted_by_category`), with the statuses ``gone`` taken out and ``came`` put in: what counting
    the patched statuses again would give, from a few hundred rows instead of a million (counts add up)."""
    base = published.set_index(by)
    columns = [c for c in ADDITIVE if c in base]
    counted = [*by, "should_insure", "status", "subsidy_fen"]  # what _tally reads: no other column is joined
    rows = pd.concat([came[counted], gone[counted]], ignore_index=True)
    delta = _tally(rows, by, np.repeat([1, -1], [len(came), len(gone)]))
    return _derived(base[columns].add(delta[columns], fill_value=0).astype("int64"))


def by_town(statuses: pd.DataFrame, jurisdiction: Jurisdiction, households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per town in the notice's order (unknown towns last): counts, gap, rates, task target and progress;
    ``households`` is :func:`partial_households` when the caller has it already."""
    households = partial_households(statuses) if households is None else households
    return town_report(_counts(statuses, ["town"]), jurisdiction, households)


def town_report(counts: pd.DataFrame, jurisdiction: Jurisdiction, households: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_town` from the towns' counts."""
    order = [t.name for t in jurisdiction.towns]
    extra = sorted(set(counts.index) - set(order))
    report = counts.reindex(order + extra)
    numbers = [c for c in report.columns if c not in ("rate", "assisted_rate")]
    report[numbers] = report[numbers].fillna(0).astype("int64")
    tasks = {t.name: t.task_population for t in jurisdiction.towns}
    report["task_population"] = pd.array([tasks.get(t) for t in report.index], dtype="Int64")
    report["task_rate"] = _rate(report["paid"], report["task_population"].astype("float64"))
    report["partial_households"] = households.groupby("town").size().reindex(report.index)
    report["partial_households"] = report["partial_households"].fillna(0).astype("int64")
    report.index.name = "town"
    return report.reset_index()[
        ["town", "task_population", "should_insure", "paid", "gap", "rate", "task_rate", "late",
         "assisted_should", "assisted_paid", "assisted_rate", "excluded", "partial_households"]
    ]


def by_village(statuses: pd.DataFrame) -> pd.DataFrame:
    """Per village (within its town): counts, gap and rates, lowest rate first within each town."""
    return village_report(_counts(statuses, ["town", "village"]))


def village_report(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_village` from the villages' counts."""
    return counts.reset_index()[["town", "village", "should_insure", "paid", "gap", "rate", "late", "assisted_should",
                                 "assisted_paid", "assisted_rate", "excluded"]].sort_values(
        ["town", "rate", "village"], kind="stable").reset_index(drop=True)


def partial_households(statuses: pd.DataFrame) -> pd.DataFrame:
    """Households (户) where some members who should insure have paid and others have not (户不漏人)."""
    paid = statuses["status"].isin(PAID).to_numpy()
    mask = (statuses["should_insure"] & (statuses["household_id"] != "")).to_numpy()
    # only households with a member who has not paid can be partial: their rows are the few grouped below
    numbers = pa.array(statuses["household_id"])
    mask = mask & pc.is_in(numbers, value_set=numbers.filter(mask & ~paid).unique()).to_numpy(zero_copy_only=False)
    rows = statuses.loc[mask, ["town", "village", "household_id"]]
    household, _ = pd.factorize(rows["household_id"])
    village, villages = pd.factorize(rows["village"])
    town, towns = pd.factorize(rows["town"])
    # a household is its number within its village and town (户号 may repeat across 派出所)
    code, _ = pd.factorize((household.astype("int64") * len(villages) + village) * len(towns) + town)
    members = np.bincount(code)
    paid = np.bincount(code, weights=paid[mask]).astype("int64")
    partial = np.flatnonzero((paid > 0) & (paid < members))
    first = np.empty(len(members), dtype="int64")
    first[code[::-1]] = np.arange(len(code))[::-1]  # reversed, so each household's first row is written last
    first = first[partial]
    # sorted by town, village and household number as text: the few town and village labels are ranked
    # once and the partial households' rows sorted in Arrow, so no town or village string is made per row
    # until the sorted output (a pandas sort on three text columns costs twice as much)
    town_labels, village_labels = pd.Index(towns).astype("str"), pd.Index(villages).astype("str")
    keys = pa.table({"town": town_labels.argsort().argsort()[town[first]],
                     "village": village_labels.argsort().argsort()[village[first]],
                     "household_id": pa.array(rows["household_id"]).take(first)})
    order = pc.sort_indices(keys, [(c, "ascending") for c in keys.column_names]).to_numpy()
    at, partial = first[order], partial[order]
    return pd.DataFrame({
        "town": pd.array(town_labels[town[at]], dtype="str"), "village": pd.array(village_labels[village[at]], dtype="str"),
        "household_id": keys["household_id"].take(order).to_pandas(),
        "members": members[partial], "paid": paid[partial], "unpaid": members[partial] - paid[partial]})


def assisted(statuses: pd.DataFrame) -> pd.DataFrame:
    """The rows of the assisted (should insure, with a subsidy): the ones :func:`assisted_by_category` counts."""
    return statuses.loc[statuses["should_insure"] & (statuses["subsidy_fen"] > 0),
                        ["category", "should_insure", "status", "subsidy_fen"]]


def assisted_by_category(statuses: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Assisted groups' coverage per category (target 100%), in the rules file's priority order."""
    return assisted_report(_counts(assisted(statuses), ["category"]), policy)


def assisted_report(counts: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """:func:`assisted_by_category` from the categories' counts of the assisted."""
    order = [c.label for c in sorted(policy.categories, key=lambda c: c.priority)]
    counts = counts[["should_insure", "paid"]]
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
