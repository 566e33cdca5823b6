"""The shape of a rules file's policy content, as pydantic models.

The schema is the contract for people who write ``include/rules/<county>-<year>.yaml``: every field is
checked here so a mistake is reported with its path (``categories[3].subsidy.percent``) instead of
surfacing later as a wrong amount. Nothing in this module knows any county.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Yuan = Annotated[Decimal, Field(ge=0, decimal_places=2)]
Percent = Annotated[Decimal, Field(gt=0, le=100, decimal_places=4)]
ROUNDING_MODES = {
    "ROUND_HALF_UP": ROUND_HALF_UP,
    "ROUND_HALF_EVEN": ROUND_HALF_EVEN,
    "ROUND_DOWN": ROUND_DOWN,
    "ROUND_UP": ROUND_UP,
}


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not silently drop a rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Basis(Strict):
    """A citation: document number, section, and the words quoted from it."""

    doc: str = Field(min_length=1)
    section: str = Field(min_length=1)
    quote: str = ""

    @property
    def text(self) -> str:
        return f"{self.doc} {self.section}"


class Tier(Strict):
    """Another contribution tier (二档) with its own personal amount; subsidies stay those of the reference tier."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    personal: Yuan
    basis: Basis


class Contribution(Strict):
    """The reference tier (``personal``, named ``tier_label``, e.g. 一档) and any other tiers."""

    personal: Yuan
    fiscal: Yuan
    basis: Basis
    tier_label: str = ""
    tiers: list[Tier] = []


class Addon(Strict):
    """A premium paid on top of the personal part that no subsidy covers (e.g. 补充医疗保险 20元)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    personal: Yuan
    basis: Basis


class Money(Strict):
    rounding: Literal[tuple(ROUNDING_MODES)]  # type: ignore[valid-type]
    quantum: Literal["0.01", "0.1", "1"] = "0.01"


SUBSIDY_SHAPES = ("full", "percent", "amount", "pays", "pending", "at_least_percent")


class Subsidy(Strict):
    """Exactly one shape: full, a percentage of the personal part, a fixed amount, what the person pays —
    or an amount the notice leaves open: ``pending`` (set elsewhere, e.g. “按上级文件执行”, quoted) or
    ``at_least_percent`` (only bounded, “不低于50%”). Open amounts load, show in ``policy check``, and make
    a decision refuse anyone they apply to until a number is written: never a silent 0."""

    full: Literal[True] | None = None
    percent: Percent | None = None
    amount: Yuan | None = None
    pays: Yuan | None = None
    pending: str | None = Field(default=None, min_length=1)
    at_least_percent: Percent | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Subsidy:
        given = [k for k in SUBSIDY_SHAPES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"须且只能给出 {' / '.join(SUBSIDY_SHAPES)} 之一（实际：{given or '无'}）")
        return self


class FundPart(Strict):
    """One fund's share of a subsidy: a fixed amount, a percentage, or (neither) the remainder.

    Whatever the order written: fixed amounts are taken first, percentages are of what they leave, and
    the one part with neither takes the rest (“医疗救助资金资助150元，余额由市、县财政各承担50%”).
    """

    fund: str
    percent: Percent | None = None
    amount: Yuan | None = None
    #: Funds that may pay this share instead (“医疗救助资金或财政资金”): recorded and shown; the decision
    #: books the share on ``fund``, the finance office may settle it from an alternative.
    alternatives: list[str] = []

    @model_validator(mode="after")
    def _not_both(self) -> FundPart:
        if self.percent is not None and self.amount is not None:
            raise ValueError("percent 与 amount 只能给出其一")
        return self


class AgeBand(Strict):
    """Inclusive age bounds in completed years; either bound may be open."""

    min: int | None = Field(default=None, ge=0, le=150)
    max: int | None = Field(default=None, ge=0, le=150)

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.min is None and self.max is None:
            raise ValueError("至少给出 min 或 max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min（{self.min}）不能大于 max（{self.max}）")
        return self


class Category(Strict):
    """A policy category: who qualifies (statuses, exclusions, ages, attributes) and what they get."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    priority: int = Field(ge=1)
    statuses: list[str] = []  # any one of them
    all_of: list[str] = []  # every one of them at once (低保对象 and 残疾人)
    exclude: list[str] = []
    age: list[AgeBand] = []
    attributes: dict[str, list[int | str]] = {}
    #: Only statuses certified on or before this date count (identity cut-off, “以2024年12月31日前认定的为准”).
    certified_by: dt.date | None = None
    subsidy: Subsidy
    #: ``assisted``: the bill charges only the personal remainder; ``paid_first`` (先缴后补): the person pays
    #: in full at collection and the subsidy is reimbursed afterwards (no assisted bill).
    payment: Literal["assisted", "paid_first"] = "assisted"
    funds: list[FundPart] = Field(min_length=1)
    basis: Basis

    @model_validator(mode="after")
    def _has_condition(self) -> Category:
        if not (self.statuses or self.all_of or self.age or self.attributes):
            raise ValueError("至少需要一个条件（statuses、all_of、age 或 attributes），否则人人适用")
        return self


class Group(Strict):
    """A group the county defines for itself (高校大学生, 困境儿童 …), recognised by its name and ``labels``."""

    labels: list[str] = []
    basis: Basis


class Label(Strict):
    """A department's label that means a status and also tells an attribute (重度残疾人 ⇒ 残疾等级一至二级)."""

    status: str
    attributes: dict[str, list[int | str]] = {}


class MultipleIdentities(Strict):
    rule: Literal["highest_subsidy"]
    basis: Basis


class Ineligible(Strict):
    """Statuses that by themselves give no subsidy (e.g. 稳定脱贫人口), kept for explanations."""

    statuses: list[str] = Field(min_length=1)
    basis: Basis


class Window(Strict):
    start: dt.date
    end: dt.date
    basis: Basis

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start > self.end:
            raise ValueError(f"start（{self.start}）晚于 end（{self.end}）")
        return self


class Waiting(Strict):
    """A waiting period in months or days; ``unknown: true`` when the notice sets one without a length."""

    months: int | None = Field(default=None, ge=0)
    days: int | None = Field(default=None, ge=0)
    unknown: Literal[True] | None = None
    month_after_payment: Literal[True] | None = None  # benefits start on the 1st of the month after paying

    @model_validator(mode="after")
    def _one(self) -> Waiting:
        shapes = ("months", "days", "unknown", "month_after_payment")
        given = [k for k in shapes if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"须且只能给出 {' / '.join(shapes)} 之一（实际：{given or '无'}）")
        return self


class LateByStatus(Strict):
    """Groups that lose the subsidy when they pay after the collection window (pay the personal part)."""

    statuses: list[str] = Field(min_length=1)
    lose_subsidy: Literal[True]
    basis: Basis


class LatePayment(Strict):
    waiting: Waiting
    pays: Literal["personal", "personal_and_fiscal"]
    basis: Basis
    by_status: list[LateByStatus] = []


class NoWaiting(Strict):
    statuses: list[str] = Field(min_length=1)
    basis: Basis


class Newborn(Strict):
    """Enrolled within ``within_months`` or ``within_days`` of birth: covered from birth.

    ``inherit_statuses``: family statuses a newborn holds from its household (低保 is a household's;
    残疾人 is not) until the child is listed itself.
    """

    within_months: int | None = Field(default=None, ge=1)
    within_days: int | None = Field(default=None, ge=1)
    covered_from: Literal["birth"]
    after: Literal["ordinary", "month_after_payment"]
    inherit_statuses: list[str] = []
    basis: Basis

    @model_validator(mode="after")
    def _one(self) -> Newborn:
        if (self.within_months is None) == (self.within_days is None):
            raise ValueError("须且只能给出 within_months / within_days 之一")
        return self


class StatusDates(Strict):
    """When a status counts: ``payment`` fixes a person's identity when they pay; a status certified after
    paying counts from the next year (“缴费后认定的，次年享受”)."""

    identity_at: Literal["payment"]
    basis: Basis


class Refund(Strict):
    before: Literal["benefit_start"]
    cases: list[Literal["death", "employee_insurance", "insured_elsewhere"]] = Field(min_length=1)
    basis: Basis


class RulesFile(Strict):
    """A whole rules file (the jurisdiction block is parsed by :mod:`yibao.jurisdiction`)."""

    id: str
    year: int = Field(ge=2000, le=2100)
    title: str = ""
    jurisdiction: dict
    contribution: Contribution
    money: Money
    age_on: Literal["benefit_start", "as_of"]
    funds: dict[str, str] = Field(min_length=1)
    labels: dict[str, Label] = {}
    groups: dict[str, Group] = {}
    addons: list[Addon] = []
    status_dates: StatusDates | None = None
    multiple_identities: MultipleIdentities
    categories: list[Category] = Field(min_length=1)
    ineligible: list[Ineligible] = []
    collection: Window
    late_payment: LatePayment
    no_waiting: NoWaiting | None = None
    newborn: Newborn | None = None
    refund: Refund | None = None

    @field_validator("labels", mode="before")
    @classmethod
    def _plain_labels(cls, v: object) -> object:
        """``一女户: 计生优待家庭成员`` is short for ``一女户: {status: 计生优待家庭成员}``."""
        if isinstance(v, dict):
            return {k: {"status": s} if isinstance(s, str) else s for k, s in v.items()}
        return v

    @field_validator("funds")
    @classmethod
    def _fund_ids(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [k for k in v if not k.isidentifier() or not k.isascii()]
        if bad:
            raise ValueError(f"资金 id 应为英文标识符：{bad}")
        return v
