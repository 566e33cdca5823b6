"""Load a rules file into a :class:`Policy`: schema check, cross-field checks, amounts computed in fen.

Every mistake becomes a :class:`~yibao.jurisdiction.RulesFileError` naming the file, the field path and
the reason in Chinese, so whoever edits next year's file can fix it without reading Python.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from yibao.attributes import Attribute, attributes
from yibao.jurisdiction import Jurisdiction, RulesFileError, parse_jurisdiction, read_rules_yaml, rules_path
from yibao.money import to_fen, yuan
from yibao.policy import schema
from yibao.policy.money import percent_of
from yibao.sources import fold, standard_statuses, status_aliases

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
    attributes: dict[str, tuple[int | str, ...]]
    subsidy_fen: int
    personal_fen: int
    funds_fen: dict[str, int]
    shape: str
    basis: Basis
    all_of: tuple[str, ...] = ()
    certified_by: dt.date | None = None
    paid_first: bool = False
    #: The notice's words when the amount is set elsewhere or only bounded; deciding anyone into the
    #: category is refused until a number is written (``subsidy_fen`` is then meaningless).
    open_amount: str | None = None
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fund → funds that may pay instead

    @property
    def conditions(self) -> str:
        """The qualifying conditions in Chinese, for summaries and the hotline."""
        parts = []
        if self.statuses:
            parts.append("、".join(self.statuses))
        if self.all_of:
            parts.append("同时为" + "、".join(self.all_of))
        if self.certified_by:
            parts.append(f"{self.certified_by.isoformat()}前（含）认定")
        if self.exclude:
            parts.append("不含同时为" + "、".join(self.exclude) + "的人员")
        if self.age:
            parts.append("或".join(age_text(lo, hi) for lo, hi in self.age))
        for name, values in self.attributes.items():
            parts.append(f"{attributes()[name].label}为" + "、".join(map(str, values)))
        return "；".join(parts)


@dataclass(frozen=True)
class WaitingPeriod:
    """``months``/``days`` set when known; both None means the notice sets one without a length."""

    months: int | None
    days: int | None
    month_after_payment: bool = False

    @property
    def known(self) -> bool:
        return self.months is not None or self.days is not None or self.month_after_payment

    @property
    def text(self) -> str:
        if self.month_after_payment:
            return "缴费次月起享受待遇"
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
        if self.month_after_payment:
            return paid.dt.to_period("M").dt.start_time + pd.DateOffset(months=1)
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
    lose_subsidy: tuple[tuple[tuple[str, ...], Basis], ...] = ()  # (statuses, basis): no subsidy when late

    def keeps_subsidy(self, statuses: pd.Series, paid_on: pd.Series, window_end: dt.date) -> pd.Series:
        """Vectorized over memberships (status, the person's payment date): False where a late payment
        costs this status its subsidy."""
        late = (pd.to_datetime(paid_on).dt.normalize() > pd.Timestamp(window_end)).to_numpy(dtype=bool)
        losing = statuses.isin([s for group, _ in self.lose_subsidy for s in group]).to_numpy(dtype=bool)
        return pd.Series(~(late & losing), index=statuses.index)


@dataclass(frozen=True)
class NoWaitingRule:
    statuses: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True)
class NewbornRule:
    """Enrolled within ``within_months`` (or ``within_days``) of birth: covered from birth; otherwise ``after``."""

    within_months: int | None
    covered_from: str  # "birth"
    after: str  # "ordinary" | "month_after_payment"
    basis: Basis
    within_days: int | None = None
    inherit_statuses: tuple[str, ...] = ()

    @property
    def window_text(self) -> str:
        return f"{self.within_days}日" if self.within_days else f"{self.within_months}个月"

    def born_within(self, birth: pd.Series, on: dt.date) -> pd.Series:
        """Vectorized: born in the window before ``on`` (so still a newborn on that day)."""
        day = pd.Timestamp(on)
        start = day - (pd.Timedelta(days=self.within_days) if self.within_days else pd.DateOffset(months=self.within_months))
        birth = pd.to_datetime(birth)
        return (birth >= start) & (birth <= day)

    def inherited(self, persons: pd.DataFrame, memberships: pd.DataFrame, on: dt.date) -> pd.DataFrame:
        """Memberships newborns take from their household (``persons``: key, household_id, birth_date).

        >>> rule = NewbornRule(None, "birth", "ordinary", None, 90, ("低保对象",))
        >>> persons = pd.DataFrame({"key": [1, 2, 3], "household_id": ["h", "h", "h"],
        ...                         "birth_date": pd.to_datetime(["1990-01-01", "2024-12-01", "1992-05-05"])})
        >>> members = pd.DataFrame({"key": [1, 3], "status": ["低保对象", "残疾人"]})
        >>> rule.inherited(persons, members, dt.date(2025, 1, 10)).values.tolist()
        [[2, '低保对象']]
        """
        if not self.inherit_statuses:
            return pd.DataFrame({"key": pd.Series(dtype="int64"), "status": pd.Series(dtype="str")})
        homes = persons[["key", "household_id"]]
        family = memberships[memberships["status"].isin(self.inherit_statuses)][["key", "status"]]
        family = family.merge(homes, on="key")[["household_id", "status"]].drop_duplicates()
        babies = homes[self.born_within(persons["birth_date"], on).to_numpy(dtype=bool)]
        found = babies.merge(family, on="household_id")[["key", "status"]]
        held = found.merge(memberships[["key", "status"]], how="left", indicator=True)["_merge"] == "left_only"
        return found[held.to_numpy()].reset_index(drop=True)

    def in_time(self, birth: pd.Series, paid_on: pd.Series) -> pd.Series:
        """Vectorized: enrolled and paid within ``within_months`` of birth (so covered from birth).

        >>> rule = NewbornRule(6, "birth", "ordinary", None)
        >>> birth = pd.Series(pd.to_datetime(["2024-03-31", "2024-03-31"]))
        >>> rule.in_time(birth, pd.Series(pd.to_datetime(["2024-09-30", "2024-10-01"]))).tolist()
        [True, False]
        """
        if self.within_days is not None:
            return pd.to_datetime(paid_on) <= pd.to_datetime(birth) + pd.Timedelta(days=self.within_days)
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
    jurisdiction: Jurisdiction | None  # None only while a broken file's errors are being gathered
    personal_fen: int
    fiscal_fen: int
    contribution_basis: Basis
    rounding: str
    quantum: str
    age_on: str  # "benefit_start" | "as_of"
    funds: dict[str, str]
    aliases: dict[str, str]
    implied: dict[str, dict[str, int | str]]  # folded label → attribute values the label itself tells
    categories: tuple[CategoryRule, ...]
    multiple_basis: Basis
    ineligible: tuple[IneligibleRule, ...]
    collection_window: tuple[dt.date, dt.date]
    collection_basis: Basis
    late_payment: LatePaymentRule
    no_waiting: NoWaitingRule | None
    newborn: NewbornRule | None
    refund: RefundRule | None
    groups: dict[str, Basis] = field(default_factory=dict)  # county-defined groups and their citations
    addons: tuple[tuple[str, str, int, Basis], ...] = ()  # (id, label, fen, basis): never subsidised
    tier_label: str = ""
    tiers: tuple[tuple[str, str, int, Basis], ...] = ()  # (id, label, personal fen, basis)
    identity_at_payment: Basis | None = None  # statuses certified after paying count from next year

    @property
    def addon_fen(self) -> int:
        return sum(fen for _, _, fen, _ in self.addons)

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
    """Load and check a rules file given its id (``wenxi-2024``) or path.

    Every mistake found is reported at once (file, field path, reason): the schema's first, then the
    cross-field checks, so whoever edits the file fixes all of them in one pass. Every stage of a run asks
    for the policy: a file read and checked once is kept until it changes on disk.
    """
    path = rules_path(rules)
    stat = path.stat()
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _load(path: Path, _mtime_ns: int, _size: int) -> Policy:
    path, data = read_rules_yaml(path)
    problems: list[tuple[str, str]] = []
    jurisdiction = None
    try:
        jurisdiction = parse_jurisdiction(data, path)
    except RulesFileError as exc:
        problems.append((exc.field, exc.reason))
    positions = list(range(len(data.get("categories") or []))) if isinstance(data.get("categories"), list) else []
    try:
        raw = schema.RulesFile.model_validate(data)
    except ValidationError as exc:
        problems += [_problem(err, data) for err in exc.errors()]
        raw, positions = _repaired(data, exc.errors(), positions)
    if raw is not None:
        found: list[tuple[str, str]] = []
        policy = _build(raw, path, jurisdiction, lambda field, reason: found.append((field, reason)), positions)
        problems += [p for p in found if p not in problems]
    if problems:
        raise RulesFileError.of(path, problems)
    return policy


def _repaired(data: dict, errors: list[dict], positions: list[int]) -> tuple[schema.RulesFile | None, list[int]]:
    """The file without its schema mistakes (unknown keys dropped, broken categories set aside), so the
    cross-field checks can still report theirs; None when what is left still does not validate."""
    fixed = copy.deepcopy(data)
    broken = set()
    for err in errors:
        loc = err["loc"]
        if len(loc) >= 2 and loc[0] == "categories" and isinstance(loc[1], int):
            broken.add(loc[1])
        elif err["type"] == "extra_forbidden" and isinstance(_node(fixed, loc[:-1]), dict):
            _node(fixed, loc[:-1]).pop(loc[-1], None)
    if broken:
        fixed["categories"] = [c for i, c in enumerate(fixed["categories"]) if i not in broken]
        positions = [i for i in positions if i not in broken]
    try:
        return schema.RulesFile.model_validate(fixed), positions
    except ValidationError:
        return None, positions


def _field(loc: tuple) -> str:
    """``('categories', 3, 'subsidy')`` → ``categories[3].subsidy``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(根)"


def _node(data: object, loc: tuple) -> object:
    for part in loc:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _problem(err: dict, data: dict) -> tuple[str, str]:
    """(field path, Chinese reason) of one schema error.

    An unknown key that is not an identifier, right after a text field, is almost always a quotation
    cut by an unquoted ASCII comma inside ``{...}`` (YAML reads the rest as a new key): report it on
    the text field it belongs to, with the fix, instead of naming the quoted words as a field.
    """
    loc = err["loc"]
    key = loc[-1] if loc else None
    parent = _node(data, loc[:-1])
    if err["type"] == "extra_forbidden" and isinstance(key, str) and isinstance(parent, dict):
        keys = list(parent)
        before = keys[keys.index(key) - 1] if key in keys and keys.index(key) > 0 else None
        if not (key.isascii() and key.isidentifier()) and before is not None and isinstance(parent[before], str):
            cut = key if parent[key] is None else f"{key}: {parent[key]}"
            return _field((*loc[:-1], before)), (
                f"“{parent[before]}”后面的“{cut}”被读成了另一个字段：引号内含英文逗号时请给整段加引号"
                f"（如 {before}: \"……,……\"），或改用中文逗号“，”"
            )
    return _field(loc), _reason(err)


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


def _build(
    raw: schema.RulesFile, path: Path, jurisdiction: Jurisdiction | None, fail, positions: list[int]
) -> Policy:
    """The policy with amounts in fen; ``fail(field, reason)`` records each cross-field mistake.

    ``positions`` are the categories' indices in the file (some may have been set aside as broken).
    """
    standard = set(standard_statuses())
    known = standard | set(raw.groups)
    declared = attributes()
    table = status_aliases()
    aliases, implied = {}, {}
    for name, group in raw.groups.items():
        if name in standard or fold(name) in table:
            fail(f"groups.{name}", f"与 statuses.yaml 中的标准身份或其别名重名：{name!r}（本县自定义群体须另起名称）")
        for label in [name, *group.labels]:
            aliases[fold(label)] = name

    def check_statuses(field: str, names: list[str]) -> tuple[str, ...]:
        for i, name in enumerate(names):
            if name not in known:
                fail(f"{field}[{i}]", f"未知的人员身份 {name!r}（应为 statuses.yaml 中的标准身份）")
        return tuple(names)

    def check_attributes(field: str, given: dict[str, list]) -> dict[str, tuple]:
        out = {}
        for name, values in given.items():
            attr = declared.get(name)
            if attr is None:
                fail(f"{field}.{name}", f"未知的人员属性 {name!r}（已声明的属性：{'、'.join(declared) or '无'}；"
                     "属性在数据源配置的 attributes 中声明）")
                continue
            out[name] = tuple(_attribute_value(attr, v) for v in values)
            bad = [v for v, got in zip(values, out[name], strict=True) if got is None]
            if not values or bad:
                shown = "、".join(dict.fromkeys(str(v) for _, v in attr.values))
                fail(f"{field}.{name}", f"{attr.label}的取值 {bad or '（空）'} 无法识别（可用：{shown}）")
        return out

    for label, spec in raw.labels.items():
        if spec.status not in known:
            fail(f"labels.{label}", f"未知的人员身份 {spec.status!r}（应为 statuses.yaml 中的标准身份）")
        aliases[fold(label)] = spec.status
        implied[fold(label)] = _implied(declared, check_attributes(f"labels.{label}.attributes", spec.attributes))

    if len(raw.categories) > MAX_CATEGORIES:
        fail("categories", f"类别不能超过 {MAX_CATEGORIES} 个，实际 {len(raw.categories)} 个")
    personal = to_fen(raw.contribution.personal)
    categories, ids, priorities = [], {}, {}
    for i, c in zip(positions, raw.categories, strict=True):
        at = f"categories[{i}]"
        if c.id in ids:
            fail(f"{at}.id", f"与 categories[{ids[c.id]}] 重复：{c.id}")
        if c.priority in priorities:
            fail(
                f"{at}.priority",
                f"与 categories[{priorities[c.priority]}] 重复：{c.priority}（并列时按优先级确定，须唯一）",
            )
        ids.setdefault(c.id, i)
        priorities.setdefault(c.priority, i)
        subsidy, shape = _subsidy(c.subsidy, personal, raw.money, f"{at}.subsidy", fail)
        open_amount = _open_amount(c.subsidy)
        for j, part in enumerate(c.funds):
            for k, alt in enumerate(part.alternatives):
                if alt not in raw.funds:
                    fail(f"{at}.funds[{j}].alternatives[{k}]", f"未声明的资金 {alt!r}（已声明：{', '.join(raw.funds)}）")
        categories.append(
            CategoryRule(
                id=c.id,
                label=c.label,
                priority=c.priority,
                statuses=check_statuses(f"{at}.statuses", c.statuses),
                exclude=check_statuses(f"{at}.exclude", c.exclude),
                age=tuple((b.min, b.max) for b in c.age),
                attributes=check_attributes(f"{at}.attributes", c.attributes),
                subsidy_fen=subsidy,
                personal_fen=personal - subsidy,
                funds_fen=_split(c.funds, subsidy, raw.funds, raw.money, f"{at}.funds", fail),
                shape=shape,
                basis=c.basis,
                all_of=check_statuses(f"{at}.all_of", c.all_of),
                certified_by=c.certified_by,
                paid_first=c.payment == "paid_first",
                open_amount=open_amount,
                alternatives={p.fund: tuple(p.alternatives) for p in c.funds if p.alternatives},
            )
        )
    # The notice's own words are input labels too: a category with one status is recognised by its label,
    # with the attributes it requires (a 残联 list headed 重度残疾人 means 残疾人 of grade 1–2).
    for cat in categories:
        key = fold(cat.label)
        if len(cat.statuses) == 1 and key not in table and key not in aliases:
            aliases[key] = cat.statuses[0]
            implied[key] = _implied(declared, cat.attributes)

    ineligible = tuple(
        IneligibleRule(check_statuses(f"ineligible[{i}].statuses", r.statuses), r.basis)
        for i, r in enumerate(raw.ineligible)
    )
    benefit_start = dt.date(raw.year, 1, 1)
    if raw.collection.start >= benefit_start:
        fail("collection.start", f"集中缴费期应在待遇年度开始（{benefit_start}）之前开始")
    if raw.collection.end > dt.date(raw.year, 12, 31):  # some windows run into the benefit year (to 2月底)
        fail("collection.end", f"集中缴费期应在待遇年度内（{raw.year}-12-31 前）结束")
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
        implied={k: v for k, v in implied.items() if v},
        categories=tuple(sorted(categories, key=lambda c: (-c.subsidy_fen, c.priority))),
        multiple_basis=raw.multiple_identities.basis,
        ineligible=ineligible,
        collection_window=(raw.collection.start, raw.collection.end),
        collection_basis=raw.collection.basis,
        late_payment=LatePaymentRule(
            waiting=WaitingPeriod(w.months, w.days, bool(w.month_after_payment)),
            pays=late.pays,
            amount_fen=personal + (fiscal if late.pays == "personal_and_fiscal" else 0),
            basis=late.basis,
            lose_subsidy=tuple(
                (check_statuses(f"late_payment.by_status[{i}].statuses", r.statuses), r.basis)
                for i, r in enumerate(late.by_status)
            ),
        ),
        no_waiting=no_waiting or None,
        newborn=raw.newborn
        and NewbornRule(
            raw.newborn.within_months, raw.newborn.covered_from, raw.newborn.after, raw.newborn.basis,
            raw.newborn.within_days, check_statuses("newborn.inherit_statuses", raw.newborn.inherit_statuses),
        ),
        refund=raw.refund and RefundRule(benefit_start, tuple(raw.refund.cases), raw.refund.basis),
        groups={name: g.basis for name, g in raw.groups.items()},
        addons=tuple((a.id, a.label, to_fen(a.personal), a.basis) for a in raw.addons),
        tier_label=raw.contribution.tier_label,
        tiers=tuple((t.id, t.label, to_fen(t.personal), t.basis) for t in raw.contribution.tiers),
        identity_at_payment=raw.status_dates.basis if raw.status_dates else None,
    )


def _attribute_value(attr: Attribute, value: int | str) -> int | str | None:
    """A value a rule wrote, as stored for persons: a declared value, or a declared text (``二级`` → 2)."""
    if attr.allowed is None:
        return fold(str(value))
    if value in attr.allowed and not (attr.numeric and isinstance(value, str)):
        return value
    return dict(attr.values).get(fold(str(value)))


def _implied(declared: dict[str, Attribute], given: dict[str, tuple]) -> dict[str, int | str]:
    return {name: declared[name].representative(list(v)) for name, v in given.items() if v and None not in v}


def _open_amount(s: schema.Subsidy) -> str | None:
    """The notice's words for an amount it does not fix (None when it does)."""
    if s.pending is not None:
        return s.pending
    if s.at_least_percent is not None:
        return f"不低于个人缴费部分的{s.at_least_percent.normalize():f}%（具体比例未定）"
    return None


def _subsidy(s: schema.Subsidy, personal: int, money: schema.Money, at: str, fail) -> tuple[int, str]:
    """The subsidy in fen and its shape in words (0 for an open amount, which no decision may use)."""
    if (words := _open_amount(s)) is not None:
        return 0, f"资助标准待定：{words}"
    if s.full:
        return personal, "全额资助"
    if s.percent is not None:
        pct = f"{s.percent.normalize():f}"
        return percent_of(personal, s.percent, money.rounding, money.quantum), f"按个人缴费部分的{pct}%资助"
    if s.amount is not None:
        fen = to_fen(s.amount)
        if fen > personal:
            fail(f"{at}.amount", f"资助额 {yuan(fen)} 元超过个人缴费标准 {yuan(personal)} 元")
            fen = personal
        return fen, f"定额资助{yuan(fen)}元"
    fen = to_fen(s.pays)
    if fen > personal:
        fail(f"{at}.pays", f"个人缴纳额 {yuan(fen)} 元超过个人缴费标准 {yuan(personal)} 元")
        fen = personal
    return personal - fen, f"个人缴纳{yuan(fen)}元"


def _split(
    parts: list[schema.FundPart], subsidy: int, funds: dict[str, str], money: schema.Money, at: str, fail
) -> dict[str, int]:
    """Allocate a subsidy over funds in any written order: fixed amounts, then percentages of what they
    leave, then the one remainder part (see :class:`schema.FundPart`)."""
    rest = [p for p in parts if p.percent is None and p.amount is None]
    if len(rest) != 1:
        fail(at, f"须有且只有一个不写 percent/amount 的资金（承担余额），实际 {len(rest)} 个")
    seen: set[str] = set()
    for i, p in enumerate(parts):
        if p.fund not in funds:
            fail(f"{at}[{i}].fund", f"未声明的资金 {p.fund!r}（已声明：{', '.join(funds)}）")
        elif p.fund in seen:
            fail(f"{at}[{i}].fund", f"资金 {p.fund} 重复出现")
        seen.add(p.fund)
    fixed = {p.fund: to_fen(p.amount) for p in parts if p.amount is not None}
    left = subsidy - sum(fixed.values())
    if left < 0:
        fail(at, f"定额部分合计 {yuan(sum(fixed.values()))} 元超过资助额 {yuan(subsidy)} 元")
        left = 0
    shares = {p.fund: percent_of(left, p.percent, money.rounding, money.quantum) for p in parts if p.percent}
    remainder = left - sum(shares.values())
    if remainder < 0:
        fail(at, f"各资金按比例分担合计超过应分担的 {yuan(left)} 元")
    out = {p.fund: fixed.get(p.fund, shares.get(p.fund, 0)) for p in parts}
    if len(rest) == 1:
        out[rest[0].fund] = max(remainder, 0)
    return out
