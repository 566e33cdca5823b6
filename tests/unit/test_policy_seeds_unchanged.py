"""The four seed counties decide exactly as before issue 10's new rule shapes (digests taken at 3048197).

The population is generated here with numpy alone (no region table, no synth), so the digest depends
only on the rules files and the engine: 60,000 people over 0–100 years, 12,000 of them holding one to
three standard statuses, disability grades for the disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

from yibao.policy import decide, load
from yibao.sources import standard_statuses

#: sha256 of the decisions CSV, computed with the engine and rules files of commit 3048197.
BEFORE = {
    "dingtao-2024": "5593a2a712992085afd5091b309dbfac220e7ea338a72af1ffe9d9016d29414c",
    "juye-2024": "d4b405be6d7848e5c8a0c03cb87921b0253d90dfd1dd5efd58b50cd9cb37387a",
    "tengzhou-2024": "7142620ae57251387b234b0c5bf3772c1909ef5b6335b53f3037802dc7726c80",
    "wenxi-2024": "c4f4dfbc8bf72b78c75097cfaaf74e8d946c73989fecf9e8f9adfdfa6a881e3a",
}


def population(seed: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    people, members = 60_000, 12_000
    keys = np.arange(1, people + 1, dtype=np.int64) * 7919
    birth = np.datetime64("2023-12-31") - rng.integers(0, 100 * 365, size=people).astype("timedelta64[D]")
    names = sorted(standard_statuses())
    who = rng.choice(people, size=members, replace=False)
    holders = np.repeat(who, rng.choice([1, 2, 3], size=members, p=[0.7, 0.22, 0.08]))
    statuses = rng.choice(len(names), size=len(holders))
    grade = pd.array(np.full(people, pd.NA), dtype="Int64")
    disabled = np.isin(np.array(names)[statuses], ["残疾人", "丧失劳动能力的残疾人"])
    grade[holders[disabled]] = rng.integers(1, 5, size=int(disabled.sum()))
    persons = pd.DataFrame({"key": keys, "birth_date": birth, "disability_grade": grade})
    memberships = pd.DataFrame({"key": keys[holders], "status": np.array(names)[statuses]})
    return persons, memberships


def digest(rules: str) -> str:
    persons, memberships = population()
    decided = decide(load(rules), persons, memberships, dt.date(2023, 11, 1))
    columns = ["key", "category", "clause", "subsidy_fen", "personal_fen", "basis", "others"]
    columns += sorted(c for c in decided if c.startswith("fund_"))
    text = decided[columns].astype("string").fillna("").to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("rules", sorted(BEFORE))
def test_seed_county_decisions_are_unchanged(rules):
    assert digest(rules) == BEFORE[rules]
