"""Who is on which department roster: statuses at realistic rural-county rates, with natural overlaps.

A latent household hardship score drives the household statuses (低保, 监测, 稳定脱贫, …) and the
individual ones (特困, 残疾), so the overlaps seen in real rosters appear by themselves: many 特困 and
低保 people are also disabled, 低保 households are often monitored by 乡村振兴 too, and members of a
household share its 低保. Within one department a person holds one status (the department's own rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from yibao.synth import population

# Share of the county's people per status (approximate rates for a rural North China county).
RATES = {
    "特困人员": 0.006,
    "孤儿": 0.0003,
    "事实无人抚养儿童": 0.0002,
    "重点困境儿童": 0.0002,
    "低保对象": 0.04,
    "低保边缘家庭成员": 0.01,
    "低收入家庭成员": 0.01,
    "防止返贫监测帮扶对象": 0.005,
    "返贫致贫人口": 0.003,
    "脱贫不稳定人口": 0.006,
    "边缘易致贫人口": 0.006,
    "突发严重困难人口": 0.001,
    "稳定脱贫人口": 0.03,
    "残疾人": 0.02,
    "丧失劳动能力的残疾人": 0.003,
    "计生优待家庭成员": 0.01,
    "抚恤定补优抚对象": 0.0012,
    "优抚对象": 0.0018,
}
FEED_STATUSES = {
    "minzheng_zongmingdan": (
        "特困人员",
        "孤儿",
        "事实无人抚养儿童",
        "重点困境儿童",
        "低保对象",
        "低保边缘家庭成员",
        "低收入家庭成员",
    ),
    "xiangcun_zongmingdan": (
        "防止返贫监测帮扶对象",
        "返贫致贫人口",
        "脱贫不稳定人口",
        "边缘易致贫人口",
        "突发严重困难人口",
        "稳定脱贫人口",
    ),
    "canlian": ("残疾人", "丧失劳动能力的残疾人"),
    "weijian": ("计生优待家庭成员",),
    "tuiyi": ("抚恤定补优抚对象", "优抚对象"),
}
GRADE_P = np.array([0.12, 0.23, 0.30, 0.35])  # disability grades 1..4
DISABILITY_TYPES = np.array(["肢体", "视力", "听力", "言语", "智力", "精神", "多重"])
DISABILITY_TYPE_P = np.array([0.48, 0.12, 0.12, 0.02, 0.10, 0.10, 0.06])
NEW_SHARE = 0.04  # share of the 民政 roster added within the last months (动态调整 新增)
EXIT_SHARE = 0.02  # people who left a 民政 status within the last months (动态调整 退出)
CHANGE_DAYS = 120


@dataclass(frozen=True)
class Rosters:
    """Status memberships of the generated county (``pid`` = row of the persons frame)."""

    memberships: pd.DataFrame  # pid, status, feed — what the departments truly hold today
    grade: np.ndarray  # disability grade 1..4, 0 = none
    disability_type: np.ndarray
    changes: pd.DataFrame  # pid, status, change_type (新增/退出), change_date — 民政 dynamic adjustments


def _top_k(weight: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a weighted sample of ``k`` without replacement (Efraimidis–Spirakis keys)."""
    ok = np.flatnonzero(weight > 0)
    k = min(k, len(ok))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    keys = np.log(rng.random(len(ok))) / weight[ok]
    return np.sort(ok[np.argpartition(-keys, k - 1)[:k]])


def _households_until(score: np.ndarray, sizes: np.ndarray, target: int) -> np.ndarray:
    """Households by descending score until their members reach ``target`` people."""
    order = np.argsort(-score, kind="stable")
    order = order[np.isfinite(score[order])]
    return order[np.cumsum(sizes[order]) <= target]


def assign(persons: pd.DataFrame, as_of: dt.date, rng: np.random.Generator) -> Rosters:
    """Give people their statuses (see the module docstring) and the 民政 changes of recent months."""
    n = len(persons)
    local = persons["in_register"].to_numpy() & ~persons["moved_out"].to_numpy()
    age = persons["age"].to_numpy()
    male = persons["male"].to_numpy()
    hh_codes, _ = pd.factorize(persons["household_id"].where(local, -1))
    hh_codes = np.where(local, hh_codes, -1)
    n_hh = int(hh_codes.max()) + 1
    hh_size = np.bincount(hh_codes[local], minlength=n_hh)
    urban = population.urban(persons)
    hh_urban = np.zeros(n_hh, bool)
    hh_urban[hh_codes[local]] = urban[local]
    hardship = rng.normal(0, 1, n_hh)
    hp = np.where(local, hardship[np.maximum(hh_codes, 0)], -9.0)  # person's household hardship
    size = np.where(local, hh_size[np.maximum(hh_codes, 0)], 0)
    status = np.full(n, "", dtype=object)  # 民政 status (one per person)

    def target(s: str) -> int:
        return round(RATES[s] * n)

    def by_household(label: str, score: np.ndarray, free: np.ndarray, dest: np.ndarray) -> None:
        chosen = np.zeros(n_hh, bool)
        chosen[_households_until(score, hh_size, target(label))] = True
        members = local & free & chosen[np.maximum(hh_codes, 0)]
        dest[members] = label

    tekun = _top_k(
        local * np.exp(hp) * np.where(age >= 60, 1.0, 0.03) * np.where(size == 1, 4.0, 1.0),
        target("特困人员"),
        rng,
    )
    status[tekun] = "特困人员"
    for label in ("孤儿", "事实无人抚养儿童", "重点困境儿童"):
        status[_top_k(local * (status == "") * (age < 18) * np.exp(hp), target(label), rng)] = label
    taken = np.zeros(n_hh, bool)
    for label, noise in (("低保对象", 0.4), ("低保边缘家庭成员", 0.6), ("低收入家庭成员", 0.8)):
        score = np.where(taken, -np.inf, hardship + rng.normal(0, noise, n_hh))
        before = status == ""
        by_household(label, score, before, status)
        taken[hh_codes[(status == label) & local]] = True

    xiangcun = np.full(n, "", dtype=object)
    taken = np.zeros(n_hh, bool)
    for label in FEED_STATUSES["xiangcun_zongmingdan"]:
        rural = np.where(hh_urban, 0.5, 0.0)
        score = np.where(taken, -np.inf, hardship + rng.normal(0, 0.8, n_hh) - rural * 3)
        by_household(label, score, np.ones(n, bool), xiangcun)
        taken[hh_codes[(xiangcun == label) & local]] = True

    disabled = _top_k(
        local
        * np.exp(0.6 * hp)
        * (0.3 + age / 40)
        * np.where(status == "特困人员", 6.0, 1.0)
        * np.where(status == "低保对象", 1.5, 1.0),
        target("残疾人"),
        rng,
    )
    grade = np.zeros(n, dtype=np.int64)
    grade[disabled] = rng.choice(4, size=len(disabled), p=GRADE_P) + 1
    dtype = np.full(n, "", dtype=object)
    dtype[disabled] = DISABILITY_TYPES[
        rng.choice(len(DISABILITY_TYPES), size=len(disabled), p=DISABILITY_TYPE_P)
    ]
    canlian = np.where(grade > 0, "残疾人", "").astype(object)
    unable = _top_k(
        (grade > 0) * np.where(grade <= 2, 5.0, 0.5) * np.where((age >= 16) & (age < 60), 3.0, 1.0),
        target("丧失劳动能力的残疾人"),
        rng,
    )
    canlian[unable] = "丧失劳动能力的残疾人"

    weijian = np.full(n, "", dtype=object)
    with_child = np.zeros(n_hh, bool)
    with_child[hh_codes[local & (age < 25)]] = True
    by_household(
        "计生优待家庭成员",
        np.where(with_child & (hh_size >= 3), rng.random(n_hh), -np.inf),
        (persons["relation"] != "父母").to_numpy() & (age < 70),  # the couple and their children
        weijian,
    )

    tuiyi = np.full(n, "", dtype=object)
    veterans = _top_k(local * male * (age >= 40) * 1.0, target("抚恤定补优抚对象") + target("优抚对象"), rng)
    tuiyi[veterans] = np.where(
        rng.random(len(veterans)) < RATES["抚恤定补优抚对象"] / 0.003, "抚恤定补优抚对象", "优抚对象"
    )

    # 民政 dynamic adjustments: recent additions, recent exits (alive), and exits by death.
    today = np.datetime64(as_of, "D")
    alive = persons["alive"].to_numpy()
    held = np.flatnonzero((status != "") & alive)
    new = held[rng.random(len(held)) < NEW_SHARE]
    exits = _top_k(local * alive * (status == "") * np.exp(hp), round(EXIT_SHARE * len(held)), rng)
    exit_status = np.array(["低保对象", "低保边缘家庭成员", "低收入家庭成员", "特困人员"])[
        rng.choice(4, size=len(exits), p=[0.7, 0.15, 0.1, 0.05])
    ]
    dead_held = np.flatnonzero((status != "") & ~alive)
    death = persons["death_date"].to_numpy()[dead_held].astype("datetime64[D]")
    changes = pd.DataFrame(
        {
            "pid": np.r_[new, exits, dead_held],
            "status": np.r_[status[new], exit_status, status[dead_held]],
            "change_type": np.r_[np.full(len(new), "新增"), np.full(len(exits) + len(dead_held), "退出")],
            "change_date": np.r_[
                today - rng.integers(0, CHANGE_DAYS, len(new) + len(exits)).astype("timedelta64[D]"),
                np.minimum(death + rng.integers(0, 30, len(dead_held)).astype("timedelta64[D]"), today),
            ],
        }
    )

    parts = []
    for feed, values in (
        ("minzheng_zongmingdan", status),
        ("xiangcun_zongmingdan", xiangcun),
        ("canlian", canlian),
        ("weijian", weijian),
        ("tuiyi", tuiyi),
    ):
        pid = np.flatnonzero(values != "")
        parts.append(pd.DataFrame({"pid": pid, "status": values[pid], "feed": feed}))
    return Rosters(pd.concat(parts, ignore_index=True), grade, dtype, changes)
