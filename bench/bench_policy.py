"""Decision-engine benchmark: 1M people, 80k of them on department lists, each county's 2024 rules.

    .venv/bin/python bench/bench_policy.py [--people 1000000] [--members 80000] [--seed 7]

Target (issue 4): ``yibao.policy.decide`` over 1,000,000 people with 80,000 holding categories in ≤ 2 s
(best of 3, inputs already in memory). Issue 10: ≤ 0.3 s per 1M people, also with the new rule shapes
(tests/fixtures/rules/xiping-2025.yaml: county groups, two statuses at once, certification cut-offs,
identity fixed at payment, late payers losing the subsidy, tiers, add-ons; attributes from roster
columns). Writes bench/results/policy.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

from yibao.money import yuan
from yibao.policy import decide, load

RESULTS = Path(__file__).resolve().parent / "results" / "policy.json"
COUNTIES = ("juye-2024", "dingtao-2024", "tengzhou-2024", "wenxi-2024")
SHAPES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "rules" / "xiping-2025.yaml"
TARGET_SECONDS = 2.0
TARGET_SECONDS_ISSUE_10 = 0.3
#: Rough shares of each status among people on any department list (低保 and 监测 dominate).
STATUS_WEIGHTS = {
    "低保对象": 30, "防止返贫监测帮扶对象": 12, "稳定脱贫人口": 10, "残疾人": 8, "低保边缘家庭成员": 8,
    "特困人员": 5, "脱贫不稳定人口": 5, "边缘易致贫人口": 5, "返贫致贫人口": 3, "计生优待家庭成员": 3,
    "低收入家庭成员": 3, "突发严重困难人口": 2, "丧失劳动能力的残疾人": 2, "抚恤定补优抚对象": 1, "优抚对象": 1,
    "孤儿": 0.5, "事实无人抚养儿童": 0.5, "重点困境儿童": 0.5,
}


def population(people: int, members: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People with birth dates over 0–100 years and disability grades; members holding 1–3 statuses."""
    rng = np.random.default_rng(seed)
    keys = rng.choice(np.iinfo(np.int64).max // 2, size=people, replace=False).astype(np.int64)
    days = rng.integers(0, 100 * 365, size=people)
    birth = np.datetime64("2023-12-31") - days.astype("timedelta64[D]")
    who = rng.choice(people, size=members, replace=False)
    per_person = rng.choice([1, 2, 3], size=members, p=[0.7, 0.22, 0.08])
    holders = np.repeat(who, per_person)
    names = list(STATUS_WEIGHTS)
    weights = np.array(list(STATUS_WEIGHTS.values()), dtype=float)
    statuses = rng.choice(len(names), size=len(holders), p=weights / weights.sum())
    grade = pd.array(np.full(people, pd.NA), dtype="Int64")
    disabled = holders[np.isin(statuses, [names.index("残疾人"), names.index("丧失劳动能力的残疾人")])]
    grade[disabled] = rng.integers(1, 5, size=len(disabled))
    persons = pd.DataFrame({"key": keys, "birth_date": birth, "disability_grade": grade})
    memberships = pd.DataFrame({
        "key": keys[holders],
        "status": pd.Categorical.from_codes(statuses, categories=names).astype("str"),
    })
    return persons, memberships


def with_shapes(persons: pd.DataFrame, memberships: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same people with what the new shapes read: payment and certification dates, roster attributes,
    county groups; statuses whose amount the fixture leaves open (优抚对象) are left out (they refuse)."""
    rng = np.random.default_rng(seed)
    n, m = len(persons), len(memberships)
    paid = np.datetime64("2024-09-01") + rng.integers(0, 200, size=n).astype("timedelta64[D]")
    persons = persons.assign(
        paid_on=paid,
        risk_state=pd.Categorical.from_codes(rng.integers(0, 2, size=n), ["已消除", "未消除"]).astype("string"),
        monitoring_cause=pd.Categorical.from_codes(rng.integers(0, 3, size=n), ["因病", "因残", "因学"]).astype("string"),
        hukou_type=pd.Categorical.from_codes(rng.integers(0, 2, size=n), ["农业", "非农业"]).astype("string"),
    )  # fmt: skip
    status = memberships["status"].replace({"计生优待家庭成员": "计生特殊家庭（失独）", "优抚对象": "计生特殊家庭（伤残）"})
    certified = np.datetime64("2024-01-01") + rng.integers(0, 420, size=m).astype("timedelta64[D]")
    return persons, memberships.assign(status=status, certified_on=certified)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=80_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--note", default="", help="recorded with the results (e.g. how busy the machine was)")
    args = parser.parse_args()

    persons, memberships = population(args.people, args.members, args.seed)
    as_of = dt.date(2023, 11, 1)
    rows = []
    shaped = with_shapes(persons, memberships, args.seed)
    for rules in (*COUNTIES, SHAPES):
        policy = load(rules)
        people, members = shaped if rules == SHAPES else (persons, memberships)
        runs = []
        for _ in range(args.repeat):
            with peak_rss() as m:
                started = time.perf_counter()
                result = decide(policy, people, members, as_of)
                runs.append(time.perf_counter() - started)
        funds = [c for c in result if c.startswith("fund_")]
        assert (result[funds].sum(axis=1) == result["subsidy_fen"]).all()
        rows.append({
            "rules": Path(rules).stem,
            "people": len(persons),
            "members": int(memberships["key"].nunique()),
            "membership_rows": len(memberships),
            "assisted": int(result["category"].notna().sum()),
            "subsidy_yuan": yuan(int(result["subsidy_fen"].sum())),
            "best_seconds": round(min(runs), 3),
            "runs_seconds": [round(r, 3) for r in runs],
            "peak_rss_mb": round(m["peak"] / 2**20),
            "meets_target": min(runs) <= TARGET_SECONDS,
            "meets_issue_10_target": min(runs) * 1_000_000 / len(persons) <= TARGET_SECONDS_ISSUE_10,
        })

    print(f"{'rules':<15}{'people':>10}{'members':>9}{'assisted':>10}{'best s':>9}{'peak MB':>9}  "
          f"≤{TARGET_SECONDS}s  ≤{TARGET_SECONDS_ISSUE_10}s/1M")
    for r in rows:
        print(f"{r['rules']:<15}{r['people']:>10}{r['members']:>9}{r['assisted']:>10}{r['best_seconds']:>9.3f}"
              f"{r['peak_rss_mb']:>9}  {'yes' if r['meets_target'] else 'NO':>5}  "
              f"{'yes' if r['meets_issue_10_target'] else 'NO'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "policy.decide", "target_seconds": TARGET_SECONDS, "repeat": args.repeat, "note": args.note,
        "target_seconds_per_million_issue_10": TARGET_SECONDS_ISSUE_10,
        "machine": {"python": platform.python_version(), "pandas": pd.__version__, "numpy": np.__version__,
                    "cpus": os.cpu_count()},
        "results": rows,
    }, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
