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

from yibao.errors import UserError
from yibao.ids import age_at
from yibao.policy.loader import CategoryRule, Policy


class PolicyIncomplete(UserError):
    """The rules leave an amount open (set elsewhere, or only bounded) and someone falls under it."""


def decide(
    policy: Policy, persons: pd.DataFrame, memberships: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One decision row per row of ``persons``, same order (see the module docstring for the method).

    ``persons``: ``key`` (unique int64), ``birth_date`` (datetime64, NaT allowed), optional attribute
    columns (e.g. ``disability_grade``) and ``paid_on`` (payment date, for rules on late payers and on
    identities fixed at payment). ``memberships``: ``key``, ``status`` (standard status names or the
    rules file's own groups), optional ``certified_on``; duplicates and unknown keys are harmless.
    Raises :class:`PolicyIncomplete` when anyone qualifies for a category whose amount is still open.
    """
    keys = persons["key"].to_numpy()
    index = pd.Index(keys)
    if not index.is_unique:
        raise ValueError("persons.key must be unique")
    n = len(keys)
    cats = policy.categories
    held = _held_statuses(cats, index, _counted(policy, persons, memberships, index))
    ages = _ages(policy, cats, persons, as_of)

    chosen = np.full(n, -1, dtype=np.int64)
    eligible_bits = np.zeros(n, dtype=np.int64)
    for i, cat in enumerate(cats):
        ok = _eligible(cat, n, held, ages, persons)
        eligible_bits |= ok.astype(np.int64) << i
        chosen[(chosen < 0) & ok] = i
    _refuse_open(cats, eligible_bits)
    won = np.where(chosen >= 0, np.left_shift(np.int64(1), np.maximum(chosen, 0)), 0)
    lost_bits = eligible_bits & ~won

    out = pd.DataFrame({"key": keys}, index=persons.index)
    out["category"] = _categorical(chosen, [c.label for c in cats], blank=None)
    out["clause"] = _categorical(chosen, [c.id for c in cats], blank=None)
    subsidy = _lookup(chosen, [c.subsidy_fen for c in cats])
    out["subsidy_fen"] = subsidy
    out["personal_fen"] = policy.personal_fen - subsidy + policy.addon_fen
    for tier, _, personal, _ in policy.tiers:  # other contribution tiers: the same subsidy, another base
        out[f"personal_{tier}_fen"] = personal - subsidy + policy.addon_fen
    if any(c.paid_first for c in cats):
        out["paid_first"] = _lookup(chosen, [int(c.paid_first) for c in cats]).astype(bool)
    for fund in policy.funds:
        out[f"fund_{fund}_fen"] = _lookup(chosen, [c.funds_fen.get(fund, 0) for c in cats])
    out["basis"] = _categorical(chosen, [c.basis.text for c in cats], blank="")
    out["others"] = _others(lost_bits, cats)
    return out


def _counted(policy: Policy, persons: pd.DataFrame, memberships: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The memberships that count this year, given the person's payment date (``paid_on``) if known:
    a status certified after paying counts from next year when the identity is fixed at payment, and
    groups that lose their subsidy by paying late lose it."""
    late_rule = policy.late_payment
    if "paid_on" not in persons or not (policy.identity_at_payment or late_rule.lose_subsidy):
        return memberships
    pos = index.get_indexer(memberships["key"].to_numpy())
    paid = np.append(pd.to_datetime(persons["paid_on"]).to_numpy(), np.datetime64("NaT"))
    paid_of = pd.Series(paid[pos], index=memberships.index)  # position -1 (unknown person) → NaT
    keep = np.ones(len(memberships), dtype=bool)
    if policy.identity_at_payment is not None and "certified_on" in memberships:
        keep &= ~(pd.to_datetime(memberships["certified_on"]) > paid_of).to_numpy(dtype=bool)
    if late_rule.lose_subsidy:
        keep &= late_rule.keeps_subsidy(memberships["status"], paid_of, policy.collection_window[1]).to_numpy()
    return memberships[keep]


def _held_statuses(cats: tuple[CategoryRule, ...], index: pd.Index, memberships: pd.DataFrame) -> dict:
    """(status, certified-by cut-off or None) → boolean array over persons, for what the policy mentions."""
    wanted = {(s, c.certified_by) for c in cats for s in (*c.statuses, *c.all_of)}
    wanted |= {(s, None) for c in cats for s in c.exclude}
    cutoffs = {cut for _, cut in wanted if cut is not None}
    if cutoffs and "certified_on" not in memberships:
        raise UserError("规则文件按认定日期截止认定身份（certified_by），但名单没有认定时间（certified_on），无法认定")
    needed = sorted({s for s, _ in wanted})
    pos = index.get_indexer(memberships["key"].to_numpy())
    codes = pd.Index(needed).get_indexer(memberships["status"])
    found = pos >= 0
    certified = pd.to_datetime(memberships["certified_on"]).to_numpy() if cutoffs else None
    held = {}
    for status, cutoff in wanted:
        rows = found & (codes == needed.index(status))
        if cutoff is not None:
            rows &= certified <= np.datetime64(cutoff, "D")
        arr = np.zeros(len(index), dtype=bool)
        arr[pos[rows]] = True
        held[status, cutoff] = arr
    return held


def _refuse_open(cats: tuple[CategoryRule, ...], eligible_bits: np.ndarray) -> None:
    """No decision while someone qualifies for a category the notice left open (never a silent 0)."""
    for i, cat in enumerate(cats):
        if cat.open_amount is None:
            continue
        count = int(np.count_nonzero(eligible_bits >> i & 1))
        if count:
            raise PolicyIncomplete(
                f"类别“{cat.label}”（{cat.id}）的资助标准尚未确定：{cat.open_amount}（{cat.basis.text}）；"
                f"有 {count} 人符合该类别。请在规则文件中写明金额（full / percent / amount / pays）后再认定"
            )


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
        ok = np.logical_or.reduce([held[s, cat.certified_by] for s in cat.statuses])
    for s in cat.all_of:
        ok &= held[s, cat.certified_by]
    for s in cat.exclude:
        ok &= ~held[s, None]
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
