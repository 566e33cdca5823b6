"""Load a rules file into a :class:`Policy`: schema check, cross-field checks, amounts computed in fen.

Every mistake becomes a :class:`~yibao.jurisdiction.RulesFileError` naming the file, the field path and
the reason in Chinese, so whoever edits next year's file can fix it without reading Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from yibao.jurisdiction import Jurisdiction, RulesFileError, parse_jurisdiction, read_rules_yaml
from yibao.money import to_fen, yuan
from yibao.policy import schema
from yibao.policy.money import percent_of
from yibao.sources import fold, standard_statuses

Basis = schema.Basis


@dataclass(frozen=True)
class CategoryRule:
    """A category with its amounts fixed in fen: they depend on the category, never on the person."""

    id: str
    label: str
    priority: int
    statuses: tuple[str, ...]
    exclude: tuple[str, ...]
    age: tuple[tuple[int | None, int | None], ...]
    attributes: dict[str, tuple[int, ...]]
    subsidy_fen: int
    personal_fen: int
    funds_fen: dict[str, int]
    shape: str
    basis: Basis

    @property
    def conditions(self) -> str:
        """The qualifying conditions in Chinese, for summaries and the hotline."""
        parts = []
        if self.statuses:
            parts.append("、".join(self.statuses))
        if self.exclude:
            parts.append("不含同时为" + "、".join(self.exclude) + "的人员")
        if self.age:
            parts.append("或".join(age_text(lo, hi) for lo, hi in self.age))
        for name, values in self.attributes.items():
            parts.append(f"{ATTRIBUTE_LABELS.get(name, name)}为" + "、".join(map(str, values)))
        return "；".join(parts)


@dataclass(frozen=True)
class WaitingPeriod:
    """``months``/``days`` set when known; both None means the notice sets one without a length."""

    months: int | None
    days: int | None

    @property
    def known(self) -> bool:
        return self.months is not None or self.days is not None

    @property
    def text(self) -> str:
        if self.months is not None:
            return f"{self.months}个月"
        return f"{self.days}日" if self.days is not None else "通知未载明时长"

    def ends(self, paid_on: pd.Series) -> pd.Series:
        """Vectorized end of the waiting period (benefits start that day); NaT when the length is unknown.

        >>> w = WaitingPeriod(3, None)
        >>> w.ends(pd.Series(pd.to_datetime(["2024-01-31"]))).dt.date.tolist()
        [datetime.date(2024, 4, 30)]
        """
        paid = pd.to_datetime(paid_on)
        if self.months is not None:
            return paid + pd.DateOffset(months=self.months)
        if self.days is not None:
            return paid + pd.Timedelta(days=self.days)
        return pd.Series(pd.NaT, index=paid.index, dtype=paid.dtype)


@dataclass(frozen=True)
class LatePaymentRule:
    """Paying after the collection window: waiting period and what the late payer pays."""

    waiting: WaitingPeriod
    pays: str  # "personal" | "personal_and_fiscal"
    amount_fen: int
    basis: Basis


@dataclass(frozen=True)
class NoWaitingRule:
    statuses: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True)
class NewbornRule:
    """Enrolled within ``within_months`` of birth: covered from birth; otherwise ``after``."""

    within_months: int
    covered_from: str  # "birth"
    after: str  # "ordinary" | "month_after_payment"
    basis: Basis

    def in_time(self, birth: pd.Series, paid_on: pd.Series) -> pd.Series:
        """Vectorized: enrolled and paid within ``within_months`` of birth (so covered from birth).

        >>> rule = NewbornRule(6, "birth", "ordinary", None)
        >>> birth = pd.Series(pd.to_datetime(["2024-03-31", "2024-03-31"]))
        >>> rule.in_time(birth, pd.Series(pd.to_datetime(["2024-09-30", "2024-10-01"]))).tolist()
        [True, False]
        """
        return pd.to_datetime(paid_on) <= pd.to_datetime(birth) + pd.DateOffset(months=self.within_months)


@dataclass(frozen=True)
class RefundRule:
    before: dt.date
    cases: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True)
class IneligibleRule:
    statuses: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True)
class Policy:
    id: str
    year: int
    title: str
    path: Path
    jurisdiction: Jurisdiction
    personal_fen: int
    fiscal_fen: int
    contribution_basis: Basis
    rounding: str
    quantum: str
    age_on: str  # "benefit_start" | "as_of"
    funds: dict[str, str]
    aliases: dict[str, str]
    categories: tuple[CategoryRule, ...]
    multiple_basis: Basis
    ineligible: tuple[IneligibleRule, ...]
    collection_window: tuple[dt.date, dt.date]
    collection_basis: Basis
    late_payment: LatePaymentRule
    no_waiting: NoWaitingRule | None
    newborn: NewbornRule | None
    refund: RefundRule | None

    @property
    def benefit_start(self) -> dt.date:
        """Benefits of a policy year start on its 1 January (待遇享受期)."""
        return dt.date(self.year, 1, 1)

    @property
    def total_fen(self) -> int:
        return self.personal_fen + self.fiscal_fen

    def age_date(self, as_of: dt.date | None) -> dt.date:
        """The date ages are measured on, as the rules file's ``age_on`` says."""
        if self.age_on == "as_of" and as_of is not None:
            return as_of
        return self.benefit_start


MAX_CATEGORIES = 63  # one bit each in the engine's int64 masks
ATTRIBUTE_LABELS = {"disability_grade": "残疾等级"}
REFUND_CASES = {
    "death": "死亡",
    "employee_insurance": "参加职工医疗保险",
    "insured_elsewhere": "统筹区外参加基本医疗保险",
}


def age_text(lo: int | None, hi: int | None) -> str:
    """
    >>> age_text(60, 69), age_text(70, None), age_text(None, 17)
    ('60至69周岁', '70周岁及以上', '17周岁及以下')
    """
    if lo is not None and hi is not None:
        return f"{lo}至{hi}周岁"
    return f"{lo}周岁及以上" if lo is not None else f"{hi}周岁及以下"


def load(rules: str | Path) -> Policy:
    """Load and check a rules file given its id (``wenxi-2024``) or path."""
    path, data = read_rules_yaml(rules)
    jurisdiction = parse_jurisdiction(data, path)
    try:
        raw = schema.RulesFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        field, reason = _field(errors[0]["loc"]), _reason(errors[0])
        more = f"（另有 {len(errors) - 1} 处错误）" if len(errors) > 1 else ""
        raise RulesFileError(path, field, reason + more) from None
    return _build(raw, path, jurisdiction)


def _field(loc: tuple) -> str:
    """``('categories', 3, 'subsidy')`` → ``categories[3].subsidy``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(根)"


_REASONS = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（拼写错误？）",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "decimal_max_places": "小数位数不能超过 {decimal_places} 位",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_type": "应为文字",
    "dict_type": "应为映射（key: value）",
    "list_type": "应为列表",
    "model_type": "应为映射（key: value）",
    "literal_error": "应为 {expected} 之一",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
}


def _reason(err: dict) -> str:
    if err["type"] == "value_error":
        return str(err["ctx"]["error"])
    template = _REASONS.get(err["type"])
    ctx = {k: str(v).replace(" or ", "、") for k, v in err.get("ctx", {}).items()}
    reason = template.format(**ctx) if template else err["msg"]
    if err["type"] != "missing":
        reason += f"，实际为 {err['input']!r}"
    return reason


def _build(raw: schema.RulesFile, path: Path, jurisdiction: Jurisdiction) -> Policy:
    def fail(field: str, reason: str) -> RulesFileError:
        return RulesFileError(path, field, reason)

    known = set(standard_statuses())

    def check_statuses(field: str, names: list[str]) -> tuple[str, ...]:
        for i, name in enumerate(names):
            if name not in known:
                raise fail(f"{field}[{i}]", f"未知的人员身份 {name!r}（应为 statuses.yaml 中的标准身份）")
        return tuple(names)

    aliases = {}
    for label, status in raw.labels.items():
        if status not in known:
            raise fail(f"labels.{label}", f"未知的人员身份 {status!r}（应为 statuses.yaml 中的标准身份）")
        aliases[fold(label)] = status

    if len(raw.categories) > MAX_CATEGORIES:
        raise fail("categories", f"类别不能超过 {MAX_CATEGORIES} 个，实际 {len(raw.categories)} 个")
    personal = to_fen(raw.contribution.personal)
    categories, ids, priorities = [], {}, {}
    for i, c in enumerate(raw.categories):
        at = f"categories[{i}]"
        if c.id in ids:
            raise fail(f"{at}.id", f"与 categories[{ids[c.id]}] 重复：{c.id}")
        if c.priority in priorities:
            raise fail(
                f"{at}.priority",
                f"与 categories[{priorities[c.priority]}] 重复：{c.priority}（并列时按优先级确定，须唯一）",
            )
        ids[c.id], priorities[c.priority] = i, i
        subsidy, shape = _subsidy(c.subsidy, personal, raw.money, f"{at}.subsidy", fail)
        categories.append(
            CategoryRule(
                id=c.id,
                label=c.label,
                priority=c.priority,
                statuses=check_statuses(f"{at}.statuses", c.statuses),
                exclude=check_statuses(f"{at}.exclude", c.exclude),
                age=tuple((b.min, b.max) for b in c.age),
                attributes={k: tuple(v) for k, v in c.attributes.items()},
                subsidy_fen=subsidy,
                personal_fen=personal - subsidy,
                funds_fen=_split(c.funds, subsidy, raw.funds, raw.money, f"{at}.funds", fail),
                shape=shape,
                basis=c.basis,
            )
        )

    ineligible = tuple(
        IneligibleRule(check_statuses(f"ineligible[{i}].statuses", r.statuses), r.basis)
        for i, r in enumerate(raw.ineligible)
    )
    benefit_start = dt.date(raw.year, 1, 1)
    if raw.collection.end >= benefit_start:
        raise fail("collection.end", f"集中缴费期应在待遇年度开始（{benefit_start}）之前结束")
    late = raw.late_payment
    w = late.waiting
    no_waiting = raw.no_waiting and NoWaitingRule(
        check_statuses("no_waiting.statuses", raw.no_waiting.statuses), raw.no_waiting.basis
    )
    fiscal = to_fen(raw.contribution.fiscal)
    return Policy(
        id=raw.id,
        year=raw.year,
        title=raw.title,
        path=path,
        jurisdiction=jurisdiction,
        personal_fen=personal,
        fiscal_fen=fiscal,
        contribution_basis=raw.contribution.basis,
        rounding=raw.money.rounding,
        quantum=raw.money.quantum,
        age_on=raw.age_on,
        funds=dict(raw.funds),
        aliases=aliases,
        categories=tuple(sorted(categories, key=lambda c: (-c.subsidy_fen, c.priority))),
        multiple_basis=raw.multiple_identities.basis,
        ineligible=ineligible,
        collection_window=(raw.collection.start, raw.collection.end),
        collection_basis=raw.collection.basis,
        late_payment=LatePaymentRule(
            waiting=WaitingPeriod(w.months, w.days),
            pays=late.pays,
            amount_fen=personal + (fiscal if late.pays == "personal_and_fiscal" else 0),
            basis=late.basis,
        ),
        no_waiting=no_waiting or None,
        newborn=raw.newborn
        and NewbornRule(
            raw.newborn.within_months, raw.newborn.covered_from, raw.newborn.after, raw.newborn.basis
        ),
        refund=raw.refund and RefundRule(benefit_start, tuple(raw.refund.cases), raw.refund.basis),
    )


def _subsidy(s: schema.Subsidy, personal: int, money: schema.Money, at: str, fail) -> tuple[int, str]:
    """The subsidy in fen and its shape in words."""
    if s.full:
        return personal, "全额资助"
    if s.percent is not None:
        pct = f"{s.percent.normalize():f}"
        return percent_of(personal, s.percent, money.rounding, money.quantum), f"按个人缴费部分的{pct}%资助"
    if s.amount is not None:
        fen = to_fen(s.amount)
        if fen > personal:
            raise fail(f"{at}.amount", f"资助额 {yuan(fen)} 元超过个人缴费标准 {yuan(personal)} 元")
        return fen, f"定额资助{yuan(fen)}元"
    fen = to_fen(s.pays)
    if fen > personal:
        raise fail(f"{at}.pays", f"个人缴纳额 {yuan(fen)} 元超过个人缴费标准 {yuan(personal)} 元")
    return personal - fen, f"个人缴纳{yuan(fen)}元"


def _split(
    parts: list[schema.FundPart], subsidy: int, funds: dict[str, str], money: schema.Money, at: str, fail
) -> dict[str, int]:
    """Allocate a subsidy over funds: fixed amounts and percentages first, the one remainder part last."""
    out: dict[str, int] = {}
    rest = [i for i, p in enumerate(parts) if p.percent is None and p.amount is None]
    if len(rest) != 1:
        raise fail(at, f"须有且只有一个不写 percent/amount 的资金（承担余额），实际 {len(rest)} 个")
    for i, p in enumerate(parts):
        if p.fund not in funds:
            raise fail(f"{at}[{i}].fund", f"未声明的资金 {p.fund!r}（已声明：{', '.join(funds)}）")
        if p.fund in out:
            raise fail(f"{at}[{i}].fund", f"资金 {p.fund} 重复出现")
        if p.amount is not None:
            out[p.fund] = min(to_fen(p.amount), subsidy - sum(out.values()))
        elif p.percent is not None:
            out[p.fund] = percent_of(subsidy, p.percent, money.rounding, money.quantum)
        else:
            out[p.fund] = 0
    remainder = subsidy - sum(out.values())
    if remainder < 0:
        raise fail(at, f"各资金分担合计超过资助额 {yuan(subsidy)} 元")
    out[parts[rest[0]].fund] = remainder
    return out
