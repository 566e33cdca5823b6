"""When a late payer's benefits start (待遇享受起始日), by the county's own timing clauses.

A payment after the collection window is late. Which clause decides, first match wins:

1. **Newborn** (``newborn``): a child born on or after the window opened (it could not have paid in the
   window) who paid within ``within_months`` of birth is covered from birth; one who paid later follows
   ``after`` — the month after payment (定陶 四（二）) or the ordinary rule (巨野 一（四））.
2. **No waiting period** (``no_waiting``): the groups a notice exempts (巨野: 特困、孤儿、低保、监测对象)
   are covered from the day they pay.
3. **Waiting period** (``late_payment.waiting``): benefits start when the period has run from the payment
   date (闻喜 五（二） 3 months, 定陶 四（一） 3 months, 滕州 二（四） 30 days); a notice that sets a period
   without a length (巨野 一（四）) gives no date, said so in the rule text, never a guess.

No one's benefits start before 1 January of the policy year.
"""

from __future__ import annotations

import pandas as pd

from yibao.policy import Policy

RULE_TEXT = {
    "newborn": "新生儿出生后规定期限内参保缴费，自出生之日起享受待遇",
    "newborn_after": "新生儿超过规定期限参保缴费，自缴费次月起享受待遇",
    "no_waiting": "不设待遇享受等待期的人员，自缴费之日起享受待遇",
    "waiting": "逾期缴费，等待期满后享受待遇",
    "waiting_unknown": "逾期缴费设有等待期，但通知未载明时长，待遇起始日待定",
}


def is_late(policy: Policy, paid_date: pd.Series) -> pd.Series:
    """Paid after the last day of the collection window."""
    return paid_date > pd.Timestamp(policy.collection_window[1])


def late_benefit_start(
    policy: Policy, paid_date: pd.Series, birth_date: pd.Series, no_waiting_group: pd.Series
) -> pd.DataFrame:
    """For late payers (aligned Series), ``benefit_start`` (NaT when undetermined), ``rule`` and ``clause``.

    >>> from yibao import policy
    >>> wenxi = policy.load("wenxi-2024")
    >>> out = late_benefit_start(wenxi, pd.Series(pd.to_datetime(["2024-01-10"])),
    ...                          pd.Series(pd.to_datetime(["1980-05-01"])), pd.Series([False]))
    >>> out["benefit_start"].dt.date.tolist(), out["rule"].tolist(), out["clause"].tolist()
    ([datetime.date(2024, 4, 10)], ['waiting'], ['闻政办发〔2023〕29号 五（二）'])
    """
    paid = pd.to_datetime(paid_date)
    birth = pd.to_datetime(birth_date)
    year_start = pd.Timestamp(policy.benefit_start)
    late = policy.late_payment
    start = late.waiting.ends(paid).copy()
    rule = pd.Series("waiting" if late.waiting.known else "waiting_unknown", index=paid.index, dtype="str")
    clause = pd.Series(late.basis.text, index=paid.index, dtype="str")

    def apply(mask: pd.Series, when: pd.Series, code: str, basis_text: str) -> None:
        start[mask] = when[mask]
        rule[mask] = code
        clause[mask] = basis_text

    if policy.no_waiting is not None:
        apply(no_waiting_group.fillna(False).astype(bool), paid, "no_waiting", policy.no_waiting.basis.text)
    newborn = policy.newborn
    if newborn is not None:
        is_newborn = birth >= pd.Timestamp(policy.collection_window[0])
        in_time = is_newborn & newborn.in_time(birth, paid)
        if newborn.after == "month_after_payment":
            next_month = (paid + pd.offsets.MonthBegin(1)).dt.normalize()
            apply(is_newborn & ~in_time, next_month, "newborn_after", newborn.basis.text)
        apply(in_time, birth, "newborn", newborn.basis.text)
    start = pd.to_datetime(start)
    start = start.where(start.isna() | (start >= year_start), year_start)
    return pd.DataFrame({"benefit_start": start, "rule": rule, "clause": clause})


def rule_text(rule: pd.Series) -> pd.Series:
    """The Chinese explanation of each rule code."""
    return rule.map(RULE_TEXT).fillna("")
