"""Hotline text: a few Chinese sentences an operator can read out to a resident asking why they pay X."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from yibao.ids import age_at
from yibao.masking import mask_id
from yibao.money import yuan
from yibao.policy.loader import REFUND_CASES, Basis, Policy

LATE_PAYS = {"personal": "缴纳个人缴费部分", "personal_and_fiscal": "按个人缴费和财政补助标准由个人全额缴纳"}


def _cite(basis: Basis) -> str:
    return f"（{basis.text}：“{basis.quote}”）" if basis.quote else f"（{basis.text}）"


def _date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def explain(
    policy: Policy,
    person_id: str,
    decision: Mapping,
    statuses: Sequence[str],
    birth_date: dt.date | None = None,
    as_of: dt.date | None = None,
) -> str:
    """Explain one decision row (a row of :func:`yibao.policy.decide`) for the person it belongs to.

    ``statuses`` are the person's standard statuses; the ID is masked in the text.
    """
    j, year = policy.jurisdiction, policy.year
    lines = []
    head = f"{mask_id(person_id)}，{j.name}{year}年度城乡居民医保"
    if birth_date is not None:
        on = policy.age_date(as_of)
        age = age_at(pd.Series(pd.to_datetime([birth_date])), on).iloc[0]
        head += f"，{_date(on)}年满{age}周岁"
    lines.append(head + "。")
    lines.append("部门名单登记的身份：" + ("、".join(statuses) if statuses else "无") + "。")

    personal, subsidy = policy.personal_fen, int(decision["subsidy_fen"])
    clause = decision.get("clause")
    if clause is not None and not pd.isna(clause):
        cat = next(c for c in policy.categories if c.id == clause)
        funds = "、".join(f"{policy.funds[f]}{yuan(v)}元" for f, v in cat.funds_fen.items() if v)
        lines.append(
            f"按“{cat.label}”身份（{cat.conditions}）{cat.shape}：个人缴费标准{yuan(personal)}元，"
            f"资助{yuan(subsidy)}元（{funds}），个人缴纳{yuan(personal - subsidy)}元{_cite(cat.basis)}。"
        )
        if decision.get("others"):
            lines.append(
                f"另符合“{decision['others']}”，只按资助标准高的一种身份享受，不重复享受"
                f"{_cite(policy.multiple_basis)}。"
            )
    else:
        lines.append(f"不属于资助参保范围，个人缴纳{yuan(personal)}元{_cite(policy.contribution_basis)}。")
        for rule in policy.ineligible:
            held = [s for s in statuses if s in rule.statuses]
            if held:
                lines.append(f"{'、'.join(held)}不享受资助参保政策{_cite(rule.basis)}。")

    for _, label, fen, basis in policy.addons:
        lines.append(f"另缴纳{label}{yuan(fen)}元，不在资助范围内{_cite(basis)}。")
    start, end = policy.collection_window
    late = policy.late_payment
    timing = (
        f"集中缴费期为{_date(start)}至{_date(end)}，自{_date(policy.benefit_start)}起享受待遇；"
        f"集中缴费期后补缴的，{LATE_PAYS[late.pays]}{yuan(late.amount_fen)}元，待遇享受等待期：{late.waiting.text}"
    )
    if policy.no_waiting and set(statuses) & set(policy.no_waiting.statuses):
        timing += "（您的身份不设等待期）"
    lines.append(timing + "。")
    if policy.refund:
        cases = "、".join(REFUND_CASES[c] for c in policy.refund.cases)
        lines.append(f"{_date(policy.refund.before)}前{cases}的，可退还个人缴费。")
    return "\n".join(lines)
