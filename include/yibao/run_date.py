"""Which run dates (``as_of``) make sense for a policy year: refused outside the campaign, warned outside
the collection window.

Every date-dependent step reads ``as_of`` (which roster rows are in force, who is a member that day, who
paid late), so a mistyped date empties rosters and cancels live bills: ``9999-12-31`` once replaced every
feed's staged table with zero rows, ``2023-01-01`` cancelled the 2024 bills and pushed the cancellations to
tax. The campaign of policy year *Y* runs

- from its **preparation month**, the calendar month before the collection window opens: counties issue
  their notice and collect the departments' lists then (闻政办发〔2023〕29号 was issued 2023-08-31 for a
  window opening 2023-09-01; 巨政办发〔2023〕16号, 2023-09-07, for a window opening 2023-09-01, so lists
  gathered in August are already this campaign's);
- to the **end of the policy year**, 31 December of *Y*: late payment (补缴) and its waiting period run
  through the benefit year (闻政办发〔2023〕29号 五（二）: 本年度错过缴费期 … 可 … 补缴 … 满三个月后方可享受待遇),
  and reconciliation with tax goes on while they do.

A date outside that range is refused before anything is written. Inside it but outside the collection
window (``collection`` in the rules file) the run goes on and says so (``as_of_warning``).
"""

from __future__ import annotations

import datetime as dt

from yibao.errors import UserError
from yibao.policy import Policy


def campaign_range(policy: Policy) -> tuple[dt.date, dt.date]:
    """First and last day a run date may be for this policy year (see the module docstring)."""
    opens = policy.collection_window[0]
    before = opens.replace(day=1) - dt.timedelta(days=1)
    return before.replace(day=1), dt.date(policy.year, 12, 31)


def check(policy: Policy, as_of: dt.date) -> str | None:
    """Refuse an ``as_of`` outside the campaign (:class:`UserError`); a Chinese warning when it is outside
    the collection window, else None.

    >>> from yibao.policy import load
    >>> check(load("wenxi-2024"), dt.date(2023, 12, 20)) is None
    True
    >>> check(load("wenxi-2024"), dt.date(2024, 3, 1))
    '统计日期 2024-03-01 不在集中缴费期（2023-09-01 至 2023-12-25）内：按补缴期处理，请核对日期'
    """
    first, last = campaign_range(policy)
    start, end = policy.collection_window
    if not first <= as_of <= last:
        raise UserError(
            f"统计日期 {as_of.isoformat()} 超出 {policy.jurisdiction.name}{policy.year} 年度征缴的合理范围"
            f"（{first.isoformat()} 至 {last.isoformat()}：集中缴费期前一个月的准备期至待遇年度末），"
            "本次运行未写入任何数据；请核对日期，或启用对应年度的规则文件"
        )
    if not start <= as_of <= end:
        return (f"统计日期 {as_of.isoformat()} 不在集中缴费期（{start.isoformat()} 至 {end.isoformat()}）内："
                f"按{'准备期' if as_of < start else '补缴期'}处理，请核对日期")
    return None
