"""People of a generated county: towns, villages, households, ages, births, deaths, moves, permits.

Households are built relation by relation (户主, 配偶, 子女, 父母) so ages inside a household make sense;
the head-age table is tuned so the whole county looks like rural North China in 2023 (many people aged
50–70, few children). Everything is vectorized: a million people take about a second.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from yibao.jurisdiction import Jurisdiction
from yibao.synth import idnumbers, names

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6])
HOUSEHOLD_SIZE_P = np.array([0.17, 0.30, 0.21, 0.17, 0.10, 0.05])
# Head-of-household age table: (age, relative weight) knots, interpolated linearly per year of age.
HEAD_AGE_KNOTS = (
    (20, 0.05),
    (26, 0.5),
    (32, 1.0),
    (40, 1.1),
    (48, 1.1),
    (58, 1.2),
    (68, 1.0),
    (76, 0.5),
    (85, 0.12),
    (95, 0.0),
)
PERMIT_SHARE = 0.03
EMPLOYEE_SHARE = 0.06
ELSEWHERE_SHARE = 0.02
DEATH_RATE = 0.007
MOVE_RATE = 0.004
RETIRED_CODE_SHARE = 0.15  # elders born while a retired county code was in use who still carry it
MARRIED_IN_SHARE = 0.05  # spouses who kept the ID of the county they were born in
VILLAGE_SUFFIXES = ("村", "庄村", "营村", "屯村", "集村", "店村", "楼村", "寨村", "堡村", "洼村")
VILLAGE_PREFIXES = ("东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "新", "老")
COMMUNITY_STEMS = (
    "东关",
    "西关",
    "南关",
    "北关",
    "新华",
    "建设",
    "文化",
    "人民",
    "解放",
    "和平",
    "府前",
    "育才",
    "朝阳",
    "幸福",
    "胜利",
    "迎宾",
    "滨河",
    "光明",
    "振兴",
    "康乐",
    "永安",
    "泰和",
    "金城",
    "安居",
)
URBAN_SUFFIXES = ("街道", "社区")
RELATIONS = np.array(["户主", "配偶", "子女", "父母"])


def urban(persons: pd.DataFrame) -> np.ndarray:
    """Whether each person lives in a street office or community (街道, 社区) rather than a rural town."""
    towns = persons["town"].cat.categories
    return np.array([str(t).endswith(URBAN_SUFFIXES) for t in towns])[persons["town_idx"].to_numpy()]


def head_age_weights() -> np.ndarray:
    """Weight per year of age 0..99 for heads of household."""
    ages, weights = zip(*HEAD_AGE_KNOTS, strict=True)
    return np.interp(np.arange(100), ages, weights, left=0.0, right=0.0)


def village_names(town: str, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct village (or community) names for a town."""
    if town.endswith(URBAN_SUFFIXES):
        stems = [s + "社区" for s in COMMUNITY_STEMS] + [
            p + s + "社区" for p in "新老" for s in COMMUNITY_STEMS
        ]
    else:
        stems = [s + suf for s in names.SURNAMES if len(s) == 1 for suf in VILLAGE_SUFFIXES]
        stems += [
            p + s + suf for p in VILLAGE_PREFIXES for s in list(names.SURNAMES)[:20] for suf in ("村", "庄村")
        ]
    return [stems[i] for i in rng.permutation(len(stems))[:count]]


def town_weights(juris: Jurisdiction, rng: np.random.Generator) -> np.ndarray:
    """Share of people per town: the task table when the notice gives one, else a plausible spread."""
    tasks = [t.task_population for t in juris.towns]
    if all(t is not None for t in tasks):
        w = np.array(tasks, dtype=float)
    else:
        w = rng.uniform(0.6, 1.4, len(tasks)) * np.array(
            [1.6 if t.name.endswith("街道") else 1.0 for t in juris.towns]
        )
    return w / w.sum()


def _households(n: int, rng: np.random.Generator) -> np.ndarray:
    """Household sizes summing exactly to ``n``."""
    sizes = HOUSEHOLD_SIZES[rng.choice(6, size=n // 2 + 2, p=HOUSEHOLD_SIZE_P)]
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n))
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(ends[k] - n)
    return sizes[sizes > 0]


def _birth_dates(age_years: np.ndarray, as_of: dt.date) -> np.ndarray:
    days = np.floor(age_years * 365.25).astype(np.int64)
    return np.datetime64(as_of, "D") - days.astype("timedelta64[D]")


def _assign_sequence(
    region: np.ndarray, ymd: np.ndarray, male: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Distinct 3-digit sequence numbers within (region, birth date, sex); odd for men."""
    group = (region.astype(np.int64) * 100_000_000 + ymd) * 2 + male
    order = np.lexsort((rng.random(len(group)), group))
    g = group[order]
    starts = np.r_[True, g[1:] != g[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(g)), 0))
    rank = np.arange(len(g)) - first
    base = rng.integers(0, 500, len(g))[first]
    half = np.empty(len(g), dtype=np.int64)
    half[order] = (base + rank * 37) % 500
    return half * 2 + male


def build(juris: Jurisdiction, n: int, as_of: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    """One row per person, ordered as the register lists them (town, village, household).

    Text columns stay ``object`` here: the generator indexes them many times by row number, which is
    free on numpy object arrays and a full conversion each time on pyarrow-backed strings.
    """
    n_permit = round(n * PERMIT_SHARE)
    n_local = n - n_permit
    n_towns = len(juris.towns)
    tw = town_weights(juris, rng)
    villages = [village_names(t.name, int(rng.integers(12, 36)), rng) for t in juris.towns]

    sizes = _households(n_local, rng)
    n_hh = len(sizes)
    hh_town = rng.choice(n_towns, size=n_hh, p=tw)
    hh_village = (rng.random(n_hh) * np.array([len(v) for v in villages])[hh_town]).astype(np.int64)
    order = np.lexsort((hh_village, hh_town))
    sizes, hh_town, hh_village = sizes[order], hh_town[order], hh_village[order]

    hh = np.repeat(np.arange(n_hh), sizes)
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    pos = np.arange(n_local) - start
    size = sizes[hh]
    relation = np.where(pos == 0, 0, np.where((pos == 1) & (rng.random(n_local) < 0.85), 1, 2))

    hw = head_age_weights()
    head_age = rng.choice(100, size=n_hh, p=hw / hw.sum()) + rng.random(n_hh)
    has_kids = np.zeros(n_hh, bool)
    np.logical_or.at(has_kids, hh, relation == 2)
    head_age = np.where(has_kids, np.maximum(head_age, 24 + rng.random(n_hh) * 16), head_age)
    ha = head_age[hh]
    relation = np.where((size >= 5) & (pos == size - 1) & (ha < 66), 3, relation)  # a parent lives with them
    age = np.select(
        [relation == 0, relation == 1, relation == 2],
        [ha, np.clip(ha + rng.normal(-2, 3, n_local), 18, 99), ha - rng.uniform(22, 38, n_local)],
        np.minimum(ha + rng.uniform(22, 34, n_local), 99 + rng.random(n_local) * 0.9),
    )
    age = np.where(age < 0, rng.random(n_local) * np.maximum(ha - 20, 0.2), age)
    head_male = rng.random(n_hh) < 0.8
    male = np.select(
        [relation == 0, relation == 1], [head_male[hh], ~head_male[hh]], rng.random(n_local) < 0.51
    )

    # Residence-permit holders: mostly working age, living in the towns with streets and communities.
    p_age = np.where(rng.random(n_permit) < 0.15, rng.uniform(0, 16, n_permit), rng.uniform(18, 60, n_permit))
    urban_w = np.array([2.5 if t.name.endswith(URBAN_SUFFIXES) else 1.0 for t in juris.towns]) * tw
    p_town = rng.choice(n_towns, size=n_permit, p=urban_w / urban_w.sum())
    p_village = (rng.random(n_permit) * np.array([len(v) for v in villages])[p_town]).astype(np.int64)

    age = np.r_[age, p_age]
    male = np.r_[male, rng.random(n_permit) < 0.55]
    town = np.r_[hh_town[hh], p_town]
    village = np.r_[hh_village[hh], p_village]
    permit = np.r_[np.zeros(n_local, bool), np.ones(n_permit, bool)]
    serial = np.arange(n_hh) - np.searchsorted(hh_town, hh_town) + 1  # 户号: town (3 digits) + serial (6)
    household = np.r_[((hh_town + 1) * 1_000_000 + serial)[hh], np.full(n_permit, -1)]
    village_idx = np.r_[0, np.cumsum([len(v) for v in villages])][town] + village  # county-wide index
    birth = _birth_dates(age, as_of)
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    ymd = (
        years * 10_000
        + (birth.astype("datetime64[M]").astype(np.int64) % 12 + 1) * 100
        + ((birth - birth.astype("datetime64[M]")).astype(np.int64) + 1)
    )

    # Region codes: the county's own; retired codes for elders; birth counties for married-in spouses
    # and residence-permit holders (same province more often than not).
    region = np.full(n, int(juris.region_code), dtype=np.int64)
    others = np.array(idnumbers.other_county_codes(juris.region_code), dtype=np.int64)
    same_prov = others[others // 10_000 == int(juris.region_code) // 10_000]
    retired = idnumbers.retired_codes(juris.name)
    if retired:
        last_years = {c: idnumbers.last_year(c) for c in retired}
        pick = rng.integers(0, len(retired), n)
        code = np.array(retired, dtype=np.int64)[pick]
        until = np.array([last_years[c] for c in retired])[pick]
        use = ~permit & (years < until) & (rng.random(n) < RETIRED_CODE_SHARE)
        region = np.where(use, code, region)
    married_in = (np.r_[relation, np.full(n_permit, -1)] == 1) & (rng.random(n) < MARRIED_IN_SHARE)
    region = np.where(married_in, same_prov[rng.integers(0, len(same_prov), n)], region)
    from_prov = rng.random(n) < 0.6
    far = np.where(
        from_prov, same_prov[rng.integers(0, len(same_prov), n)], others[rng.integers(0, len(others), n)]
    )
    region = np.where(permit, far, region)
    seq = _assign_sequence(region, ymd, male.astype(np.int64), rng)
    first17 = region * 100_000_000_000 + ymd * 1_000 + seq

    # Surnames follow the household head (children, the head's father); spouses and mothers keep theirs.
    head_surname = names.surnames(rng, n_hh)[hh]
    own = names.surnames(rng, n)
    inherits = np.r_[
        (relation == 0)
        | (relation == 2) & (head_male[hh] | (rng.random(n_local) < 0.7))
        | (relation == 3) & male[:n_local],
        np.zeros(n_permit, bool),
    ]
    surname = np.where(inherits, np.r_[head_surname, own[n_local:]], own)
    name = surname + names.given_names(rng, male)

    # Deaths rise with age (Gompertz), moves out are mostly young adults; both dated in the last year.
    hazard = np.exp(0.09 * (age - 75))
    dead = ~permit & (rng.random(n) < hazard * (DEATH_RATE * n_local / hazard[~permit].sum()))
    move_p = np.where((age >= 18) & (age < 45), MOVE_RATE * 2.5, MOVE_RATE * 0.3)
    moved = ~permit & ~dead & (rng.random(n) < move_p)
    today = np.datetime64(as_of, "D")
    when = today - rng.integers(0, 365, n).astype("timedelta64[D]")
    when = np.maximum(when, birth)
    nat = np.datetime64("NaT", "D")

    adult = (age >= 18) & (age < 65)
    alive_here = ~dead & ~moved
    emp_p = np.where(adult, 1.0, 0.05) * np.where(permit, 0.6, 1.0)
    employee = alive_here & (rng.random(n) < emp_p * EMPLOYEE_SHARE * n / emp_p[alive_here].sum())
    else_p = np.where(adult, 1.0, 0.2) * np.where(permit, 3.0, 1.0)
    elsewhere = (
        alive_here & ~employee & (rng.random(n) < else_p * ELSEWHERE_SHARE * n / else_p[alive_here].sum())
    )

    return pd.DataFrame(
        {
            "first17": first17,
            "key": idnumbers.person_keys(first17),
            "id_number": idnumbers.id_strings(first17).astype(object).to_numpy(),
            "name": pd.Series(name, dtype=object),
            "male": male,
            "birth_date": birth,
            "age": np.floor(age).astype(np.int64),
            "town_idx": town,
            "town": pd.Categorical.from_codes(town, juris.town_names),
            "village_idx": village_idx,
            "village": pd.Series(
                np.array([v for vs in villages for v in vs], dtype=object)[village_idx],
                dtype=object,
            ),
            "household_id": household,
            "relation": pd.Categorical.from_codes(np.r_[relation, np.full(n_permit, 4)], [*RELATIONS, ""]),
            "residence_permit": permit,
            "in_register": ~permit,
            "alive": ~dead,
            "death_date": np.where(dead, when, nat),
            "moved_out": moved,
            "move_date": np.where(moved, when, nat),
            "employee_insured": employee,
            "insured_elsewhere": elsewhere,
            "permit_valid_until": np.where(
                permit, today + rng.integers(30, 1095, n).astype("timedelta64[D]"), nat
            ),
        }
    )
