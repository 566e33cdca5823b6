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


class Contribution(Strict):
    personal: Yuan
    fiscal: Yuan
    basis: Basis


class Money(Strict):
    rounding: Literal[tuple(ROUNDING_MODES)]  # type: ignore[valid-type]
    quantum: Literal["0.01", "0.1", "1"] = "0.01"


class Subsidy(Strict):
    """Exactly one shape: full, a percentage of the personal part, a fixed amount, or what the person pays."""

    full: Literal[True] | None = None
    percent: Percent | None = None
    amount: Yuan | None = None
    pays: Yuan | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Subsidy:
        given = [k for k in ("full", "percent", "amount", "pays") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"须且只能给出 full / percent / amount / pays 之一（实际：{given or '无'}）")
        return self


class FundPart(Strict):
    """One fund's share of a subsidy: a fixed amount, a percentage, or (neither) the remainder.

    Whatever the order written: fixed amounts are taken first, percentages are of what they leave, and
    the one part with neither takes the rest (“医疗救助资金资助150元，余额由市、县财政各承担50%”).
    """

    fund: str
    percent: Percent | None = None
    amount: Yuan | None = None

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
    statuses: list[str] = []
    exclude: list[str] = []
    age: list[AgeBand] = []
    attributes: dict[str, list[int | str]] = {}
    subsidy: Subsidy
    funds: list[FundPart] = Field(min_length=1)
    basis: Basis

    @model_validator(mode="after")
    def _has_condition(self) -> Category:
        if not (self.statuses or self.age or self.attributes):
            raise ValueError("至少需要一个条件（statuses、age 或 attributes），否则人人适用")
        return self


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

    @model_validator(mode="after")
    def _one(self) -> Waiting:
        given = [k for k in ("months", "days", "unknown") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"须且只能给出 months / days / unknown 之一（实际：{given or '无'}）")
        return self


class LatePayment(Strict):
    waiting: Waiting
    pays: Literal["personal", "personal_and_fiscal"]
    basis: Basis


class NoWaiting(Strict):
    statuses: list[str] = Field(min_length=1)
    basis: Basis


class Newborn(Strict):
    within_months: int = Field(ge=1)
    covered_from: Literal["birth"]
    after: Literal["ordinary", "month_after_payment"]
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
