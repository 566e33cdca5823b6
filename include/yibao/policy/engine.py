"""Vectorized decisions: for every person, the one identity that counts and who pays what.

Amounts are fixed per category at load time, so deciding is boolean algebra over the people: one mask
per category (statuses held, exclusions, age bands, attributes), a bit per category in preference order
(highest subsidy first, then the configured priority), and the first eligible category wins. The other
eligible categories are the identities that lost; they are labelled per distinct bit pattern, not per row.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from yibao.ids import age_at
from yibao.policy.loader import CategoryRule, Policy


def decide(
    policy: Policy, persons: pd.DataFrame, memberships: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One decision row per row of ``persons``, same order (see the module docstring for the method).

    ``persons``: ``key`` (unique int64), ``birth_date`` (datetime64, NaT allowed), optional attribute
    columns (e.g. ``disability_grade``). ``memberships``: ``key``, ``status`` (standard status names);
    duplicates and unknown keys are harmless.
    """
    keys = persons["key"].to_numpy()
    index = pd.Index(keys)
    if not index.is_unique:
        raise ValueError("persons.key must be unique")
    n = len(keys)
    cats = policy.categories
    held = _held_statuses(cats, index, memberships)
    ages = _ages(policy, cats, persons, as_of)

    chosen = np.full(n, -1, dtype=np.int64)
    eligible_bits = np.zeros(n, dtype=np.int64)
    for i, cat in enumerate(cats):
        ok = _eligible(cat, n, held, ages, persons)
        eligible_bits |= ok.astype(np.int64) << i
        chosen[(chosen < 0) & ok] = i
    won = np.where(chosen >= 0, np.left_shift(np.int64(1), np.maximum(chosen, 0)), 0)
    lost_bits = eligible_bits & ~won

    out = pd.DataFrame({"key": keys}, index=persons.index)
    out["category"] = _categorical(chosen, [c.label for c in cats], blank=None)
    out["clause"] = _categorical(chosen, [c.id for c in cats], blank=None)
    subsidy = _lookup(chosen, [c.subsidy_fen for c in cats])
    out["subsidy_fen"] = subsidy
    out["personal_fen"] = policy.personal_fen - subsidy
    for fund in policy.funds:
        out[f"fund_{fund}_fen"] = _lookup(chosen, [c.funds_fen.get(fund, 0) for c in cats])
    out["basis"] = _categorical(chosen, [c.basis.text for c in cats], blank="")
    out["others"] = _others(lost_bits, cats)
    return out


def _held_statuses(cats: tuple[CategoryRule, ...], index: pd.Index, memberships: pd.DataFrame) -> dict:
    """Status → boolean array over persons, for the statuses the policy mentions."""
    needed = sorted({s for c in cats for s in (*c.statuses, *c.exclude)})
    pos = index.get_indexer(memberships["key"].to_numpy())
    codes = pd.Index(needed).get_indexer(memberships["status"])
    found = pos >= 0
    pos, codes = pos[found], codes[found]
    held = {}
    for code, status in enumerate(needed):
        arr = np.zeros(len(index), dtype=bool)
        arr[pos[codes == code]] = True
        held[status] = arr
    return held


def _ages(
    policy: Policy, cats: tuple[CategoryRule, ...], persons: pd.DataFrame, as_of: dt.date | None
) -> np.ndarray | None:
    """Completed years on the policy's age date; -1 for an unknown birth date (matches no band)."""
    if not any(c.age for c in cats):
        return None
    return age_at(persons["birth_date"], policy.age_date(as_of)).to_numpy(dtype=np.int64, na_value=-1)


def _eligible(
    cat: CategoryRule, n: int, held: dict, ages: np.ndarray | None, persons: pd.DataFrame
) -> np.ndarray:
    ok = np.ones(n, dtype=bool)
    if cat.statuses:
        ok = np.logical_or.reduce([held[s] for s in cat.statuses])
    for s in cat.exclude:
        ok &= ~held[s]
    if cat.age:
        in_band = np.zeros(n, dtype=bool)
        for lo, hi in cat.age:
            in_band |= (ages >= (lo or 0)) & (ages <= (hi if hi is not None else 10_000))
        ok &= in_band
    for name, values in cat.attributes.items():
        if name not in persons:
            return np.zeros(n, dtype=bool)
        ok &= persons[name].isin(values).to_numpy(dtype=bool, na_value=False)
    return ok


def _lookup(chosen: np.ndarray, values: list[int]) -> np.ndarray:
    """Per-category integers by chosen index; index -1 lands on the appended 0."""
    return np.asarray([*values, 0], dtype=np.int64)[chosen]


def _categorical(chosen: np.ndarray, values: list[str], blank: str | None) -> pd.Categorical:
    """Per-category text by chosen index without building a million Python strings."""
    names = list(dict.fromkeys(values))
    codes = np.asarray([names.index(v) for v in values] + [-1 if blank is None else len(names)])[chosen]
    return pd.Categorical.from_codes(codes, categories=names if blank is None else [*names, blank])


def _others(lost_bits: np.ndarray, cats: tuple[CategoryRule, ...]) -> pd.Categorical:
    """Labels of the categories that lost, joined by '、' in preference order; '' when none."""
    rows = np.flatnonzero(lost_bits)
    patterns, inverse = np.unique(lost_bits[rows], return_inverse=True)
    texts = [
        "、".join(dict.fromkeys(c.label for i, c in enumerate(cats) if int(p) >> i & 1)) for p in patterns
    ]
    codes = np.zeros(len(lost_bits), dtype=np.int64)
    codes[rows] = inverse + 1
    names = list(dict.fromkeys(["", *texts]))
    remap = np.asarray([names.index(t) for t in ["", *texts]])
    return pd.Categorical.from_codes(remap[codes], categories=names)
