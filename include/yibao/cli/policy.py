"""``yibao policy check | decide | explain``: validate a rules file, decide a CSV of people, explain one."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from yibao.attributes import attributes, per_person
from yibao.cli.args import date_arg
from yibao.errors import UserError
from yibao.ids import check as check_ids
from yibao.ids import describe
from yibao.ids.vector import today
from yibao.masking import mask_id
from yibao.money import yuan
from yibao.staging import parse_dates

if TYPE_CHECKING:  # the policy package (pydantic models) loads only when a policy command runs
    from yibao.policy import Policy

ID_COLUMN, LABEL_COLUMN = "身份证号码", "人员类别"
#: Optional CSV date columns: when the row's statuses were certified, when the person paid.
DATE_COLUMNS = {"认定时间": "certified_on", "缴费日期": "paid_on"}
NEWBORN_AFTER = {"ordinary": "按普通居民缴费及享受待遇", "month_after_payment": "自缴费的次月起享受待遇"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("policy", help="资助政策：检查规则文件、认定资助、热线解释")
    sub = parser.add_subparsers(dest="policy_command", required=True, metavar="子命令")

    p = sub.add_parser("check", help="检查规则文件并打印摘要")
    p.add_argument("file", help="规则文件路径或 id（如 wenxi-2024）")
    p.set_defaults(func=run_check)

    p = sub.add_parser("decide", help="按规则文件认定一份人员名单的资助")
    p.add_argument("--policy", required=True, help="规则文件路径或 id")
    p.add_argument("--persons", required=True, type=Path, help="CSV：身份证号码、人员类别[、残疾等级]")
    p.add_argument("--as-of", type=date_arg, help="认定日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--json", action="store_true", help="每人输出一行 JSON")
    p.set_defaults(func=run_decide)

    p = sub.add_parser("explain", help="为热线解释一个人的资助认定")
    p.add_argument("--policy", required=True, help="规则文件路径或 id")
    p.add_argument("--id", required=True, help="身份证号码")
    p.add_argument("--categories", default="", help="人员类别，多个用、或;分隔")
    p.add_argument("--disability-grade", default="", help="残疾等级（一级至四级）")
    p.add_argument("--as-of", type=date_arg, help="认定日期 YYYY-MM-DD（默认今天）")
    p.set_defaults(func=run_explain)



def run_check(args) -> int:
    from yibao.policy import load

    policy = load(args.file)
    print("\n".join(summary(policy)))
    return 0


def summary(policy: Policy) -> list[str]:
    """The rules file in words: who pays what, from which fund, on what basis."""
    from yibao.policy.explain import LATE_PAYS
    from yibao.policy.loader import REFUND_CASES

    p, j = policy, policy.jurisdiction
    c = p.contribution_basis
    lines = [
        f"规则文件 {p.path}（{p.id}）：{j.full_name} {p.year} 年度 {p.title}",
        (
            f"筹资标准：个人缴费 {yuan(p.personal_fen)} 元，财政补助 {yuan(p.fiscal_fen)} 元，"
            f"合计 {yuan(p.total_fen)} 元 —— {c.text}"
        ),
        f"金额取整：{p.rounding}，精确到 {p.quantum} 元；年龄按"
        + ("认定日期" if p.age_on == "as_of" else f"{p.benefit_start}（待遇年度首日）")
        + "计算",
        "资金：" + "、".join(f"{name}（{fid}）" for fid, name in p.funds.items()),
        *(f"缴费档次：{label} 个人缴费 {yuan(fen)} 元（资助按{p.tier_label or '基准档'}计算）—— {b.text}"
          for _, label, fen, b in p.tiers),
        *(f"附加缴费：{label} {yuan(fen)} 元，不在资助范围内 —— {b.text}" for _, label, fen, b in p.addons),
        *(f"本县自定义群体：{name} —— {b.text}" for name, b in p.groups.items()),
        f"多重身份：只按资助标准高的一种身份享受，标准相同按优先级 —— {p.multiple_basis.text}",
        "资助类别（按认定顺序）：",
    ]
    for i, cat in enumerate(p.categories, 1):
        funds = " + ".join(
            f"{p.funds[f]} {yuan(v)} 元" + "".join(f"（或{p.funds[a]}）" for a in cat.alternatives.get(f, ()))
            for f, v in cat.funds_fen.items()
        )
        how = "（先缴后补：个人先全额缴纳，资助部分事后返还）" if cat.paid_first else ""
        amounts = (
            f"{cat.shape}（认定时将拒绝，直至写明金额）" if cat.open_amount is not None else
            f"{cat.shape}：资助 {yuan(cat.subsidy_fen)} 元 = {funds}；个人缴纳 {yuan(cat.personal_fen)} 元{how}"
        )  # fmt: skip
        lines += [
            f"  {i}. {cat.label} [{cat.id}，优先级 {cat.priority}] 条件：{cat.conditions}",
            f"     {amounts} —— {cat.basis.text}",
        ]
    for rule in p.ineligible:
        lines.append(f"不享受资助：{'、'.join(rule.statuses)} —— {rule.basis.text}")
    start, end = p.collection_window
    late = p.late_payment
    lines.append(f"集中缴费期：{start} 至 {end} —— {p.collection_basis.text}")
    lines.append(
        f"补缴：{LATE_PAYS[late.pays]} {yuan(late.amount_fen)} 元，"
        f"等待期 {late.waiting.text} —— {late.basis.text}"
    )
    for statuses, basis in late.lose_subsidy:
        lines.append(f"集中缴费期后缴费不享受资助：{'、'.join(statuses)} —— {basis.text}")
    if p.identity_at_payment:
        lines.append(f"身份认定以缴费时为准，缴费后认定的次年享受 —— {p.identity_at_payment.text}")
    if p.no_waiting:
        lines.append(f"不设等待期：{'、'.join(p.no_waiting.statuses)} —— {p.no_waiting.basis.text}")
    if p.newborn:
        nb = p.newborn
        lines.append(
            f"新生儿：出生 {nb.window_text}内参保缴费的自出生之日起享受待遇，超过的"
            f"{NEWBORN_AFTER[nb.after]}"
            + (f"；随家庭享受{'、'.join(nb.inherit_statuses)}身份" if nb.inherit_statuses else "")
            + f" —— {nb.basis.text}"
        )
    if p.refund:
        cases = "、".join(REFUND_CASES[x] for x in p.refund.cases)
        lines.append(f"退费：{p.refund.before} 前{cases}的，退还个人缴费 —— {p.refund.basis.text}")
    lines.append("检查通过。")
    return lines


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"找不到人员名单文件 {path}")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False)
        except UnicodeDecodeError:
            continue
    raise UserError(f"{path} 既不是 UTF-8 也不是 GB18030 编码")


def people_frames(policy: Policy, table: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of (ID, labels[, attributes, 认定时间, 缴费日期]) → the engine's ``persons`` and ``memberships``.

    A person may span several rows; invalid IDs, unknown labels and unreadable dates are errors (IDs
    masked). ``认定时间`` dates the row's statuses (certification cut-offs); ``缴费日期`` is the person's
    payment date (identity fixed at payment, late payers).
    """
    from yibao.policy import label_attributes, resolve_labels, split_labels

    if ID_COLUMN not in table:
        raise UserError(f"人员名单缺少“{ID_COLUMN}”列（实际列：{'、'.join(table.columns)}）")
    ids = check_ids(table[ID_COLUMN], as_of=as_of)
    bad = ids.index[~ids["valid"]]
    if len(bad):
        reasons = describe(ids.loc[bad])["reason_text"]
        shown = "；".join(f"第 {i + 2} 行 {mask_id(table.at[i, ID_COLUMN])}：{reasons[i]}" for i in bad[:3])
        raise UserError(f"{len(bad)} 个身份证号码无效：{shown}")
    table = table.assign(
        key=ids["key"].to_numpy(), birth_date=ids["birth_date"].to_numpy(), id=ids["normalized"].to_numpy()
    )
    given = [a for a in attributes().values() if a.label in table]  # CSV header = the attribute's label
    for attr in given:
        table[attr.name], bad = attr.parse(table[attr.label])
        if bad.any():
            allowed = "、".join(dict.fromkeys(k for k, _ in attr.values))
            raise UserError(f"{attr.label} 无法识别：{sorted(set(table.loc[bad, attr.label]))[:5]}（应为 {allowed}）")

    labels = split_labels(table[LABEL_COLUMN]) if LABEL_COLUMN in table else pd.Series([], dtype="string")
    statuses = resolve_labels(policy, labels)
    unknown = labels[statuses.isna()]
    if len(unknown):
        raise UserError(
            f"无法识别的人员类别：{'、'.join(sorted(set(unknown)))}（第 "
            f"{'、'.join(str(i + 2) for i in unknown.index[:5])} 行）"
        )
    told = label_attributes(policy, labels).assign(key=table.loc[labels.index, "key"].to_numpy())
    rows = pd.concat([table[["key", *(a.name for a in given)]], told], ignore_index=True)
    names = [c for c in rows if c != "key"]
    dates = {}
    for column, name in DATE_COLUMNS.items():
        if column in table:
            text = table[column].astype("str").str.strip()
            dates[name] = parse_dates(text)
            bad = (text != "") & dates[name].isna()
            if bad.any():
                raise UserError(f"{column} 无法识别：{sorted(set(text[bad]))[:5]}（应为 年-月-日，如 2024-10-08）")
    grouped = table.assign(**{k: v for k, v in dates.items() if k == "paid_on"}).groupby("key", sort=False)
    first = ["id", "birth_date", *(["paid_on"] if "paid_on" in dates else [])]
    persons = grouped[first].first().join(per_person(rows, names)).reset_index()
    memberships = pd.DataFrame(
        {"key": table.loc[labels.index, "key"].to_numpy(), "status": statuses.to_numpy()}
    )
    if "certified_on" in dates:
        memberships["certified_on"] = dates["certified_on"].loc[labels.index].to_numpy()
    return persons, memberships


def _as_of(args) -> dt.date:
    return args.as_of or today()


def run_decide(args) -> int:
    from yibao.policy import decide, load

    policy = load(args.policy)
    as_of = _as_of(args)
    persons, memberships = people_frames(policy, _read_csv(args.persons), as_of)
    decisions = decide(policy, persons, memberships, as_of)
    funds = [(f, name, f"fund_{f}_fen") for f, name in policy.funds.items()]
    rows = [
        {
            "id": pid,
            "category": None if pd.isna(d["category"]) else d["category"],
            "subsidy": yuan(d["subsidy_fen"]),
            "personal": yuan(d["personal_fen"]),
            "funds": {name: yuan(d[col]) for _, name, col in funds if d[col]},
            "basis": d["basis"],
            "others": d["others"].split("、") if d["others"] else [],
        }
        for pid, d in zip(persons["id"], decisions.to_dict("records"), strict=True)
    ]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    table = pd.DataFrame(
        {
            "身份证号码": [r["id"] for r in rows],
            "认定身份": [r["category"] or "" for r in rows],
            "资助金额": [r["subsidy"] for r in rows],
            "个人缴纳": [r["personal"] for r in rows],
            **{name: [yuan(v) for v in decisions[col]] for _, name, col in funds},
            "政策依据": [r["basis"] for r in rows],
            "未享受的其他身份": ["、".join(r["others"]) for r in rows],
        }
    )
    table.to_csv(sys.stdout, index=False)
    return 0


def run_explain(args) -> int:
    from yibao.policy import decide, explain, load

    policy = load(args.policy)
    as_of = _as_of(args)
    table = pd.DataFrame(
        {ID_COLUMN: [args.id], LABEL_COLUMN: [args.categories], "残疾等级": [args.disability_grade]}
    )
    persons, memberships = people_frames(policy, table, as_of)
    decision = decide(policy, persons, memberships, as_of).iloc[0].to_dict()
    birth = persons["birth_date"].iloc[0]
    statuses = list(dict.fromkeys(memberships["status"]))
    print(
        explain(
            policy, persons["id"].iloc[0], decision, statuses, None if pd.isna(birth) else birth.date(), as_of
        )
    )
    return 0
