"""Person identities: one row per person from the household register and residence permits, and the
statuses that departments report for them, checked against the register.

A roster row whose person is unknown, deceased, moved away or named differently in the register is not
used for a subsidy; it goes back to its department with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from yibao import names
from yibao.adjustments import apply_changes
from yibao.attributes import roster_attributes
from yibao.reasons import Problems

PERSON_COLUMNS = ["key", "id_number", "name", "sex", "birth_date", "town", "village", "household_id"]
CONTACT_COLUMNS = ["relation", "phone", "address"]  # carried to the towns' reminder lists when the register has them


@dataclass
class Identities:
    persons: pd.DataFrame  # one row per person known to the register or a residence permit
    memberships: pd.DataFrame  # key, status, source, declared attributes — only for usable persons
    rejected: pd.DataFrame  # roster rows that failed the cross-check, with reason codes and text


def _of_kind(staged: dict[str, pd.DataFrame], kinds: dict[str, str], kind: str) -> pd.DataFrame:
    frames = [f for feed, f in staged.items() if kinds[feed] == kind and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def build_persons(staged: dict[str, pd.DataFrame], kinds: dict[str, str], as_of: dt.date) -> pd.DataFrame:
    """Register persons plus residence-permit holders (valid on ``as_of``) who are not in the register."""
    register = _of_kind(staged, kinds, "register")
    if register.empty:
        raise ValueError("没有可用的公安户籍数据，无法确定应参保人群")
    optional = [c for c in CONTACT_COLUMNS if c in register]
    persons = register[PERSON_COLUMNS + optional + ["deceased", "moved_out", "status_date"]].copy()
    persons["in_register"] = True
    persons["residence_permit"] = False
    permits = _of_kind(staged, kinds, "residence")
    if not permits.empty:
        valid = permits["permit_valid_until"].isna() | (permits["permit_valid_until"] >= pd.Timestamp(as_of))
        extra = permits.loc[valid & ~permits["key"].isin(persons["key"]), [c for c in PERSON_COLUMNS if c in permits]]
        extra = extra.assign(deceased=False, moved_out=False, status_date=pd.NaT, in_register=False, residence_permit=True)
        persons = pd.concat([persons, extra], ignore_index=True)
    for kind, flag in (("employee_insured", "employee_insured"), ("insured_elsewhere", "insured_elsewhere")):
        insured = _of_kind(staged, kinds, kind)
        persons[flag] = persons["key"].isin(insured["key"]) if not insured.empty else False
    persons["should_insure"] = ~(
        persons["deceased"] | persons["moved_out"] | persons["employee_insured"] | persons["insured_elsewhere"]
    )
    return persons.reset_index(drop=True)


def build_identities(staged: dict[str, pd.DataFrame], kinds: dict[str, str], as_of: dt.date) -> Identities:
    """Persons, their usable statuses, and the roster rows sent back for the cross-check."""
    persons = build_persons(staged, kinds, as_of)
    roster = apply_changes(_of_kind(staged, kinds, "roster"), _of_kind(staged, kinds, "roster_changes"), as_of)
    memberships, rejected = cross_check(persons, roster)
    return Identities(persons, memberships, rejected)


def cross_check(persons: pd.DataFrame, roster: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Memberships and sent-back rows of a roster (after adjustments) checked against ``persons``.

    Each person's result depends only on their own rows, so a correction can check just the people it
    touches (``persons`` then needs only theirs).
    """
    declared = roster_attributes()
    if roster.empty:
        return pd.DataFrame(columns=["key", "status", "source", *declared]), pd.DataFrame()
    roster = roster.reset_index(drop=True)
    # each row's person by position (persons' keys are unique): no million-row merge
    at = pd.Index(persons["key"]).get_indexer(roster["key"])
    known = persons[["name", "deceased", "moved_out", "status_date"]].reset_index(drop=True).reindex(at)
    known = known.reset_index(drop=True)
    found = pd.Series(at >= 0)
    deceased = known["deceased"].fillna(False).astype(bool)
    problems = Problems(roster.index)
    problems.add(~found, "NOT_IN_REGISTER")
    problems.add(deceased, "DECEASED", known.loc[deceased, "status_date"].dt.strftime("%Y-%m-%d").fillna(""))
    problems.add(known["moved_out"], "MOVED_OUT")
    mismatch = found & names.differ(known["name"], roster["name"].str.strip())  # 张  三 is 张三
    problems.add(mismatch, "NAME_MISMATCH")
    bad = problems.rejected.to_numpy()
    rejected = roster.loc[bad].assign(reason_codes=problems.codes[bad], reason_text=problems.texts[bad])
    usable = roster.loc[~bad]
    missing = {name: attr.empty(usable.index) for name, attr in declared.items() if name not in usable}
    usable = usable.assign(**missing)
    columns = ["key", "status", "source", *declared, *(["certified_on"] if "certified_on" in usable else [])]
    memberships = usable[columns].drop_duplicates(["key", "status", "source"])
    return memberships.reset_index(drop=True), rejected.reset_index(drop=True)
