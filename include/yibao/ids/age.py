"""Age in whole years at a date, vectorized: the policy's age bands (滕州 60–69, 70+) depend on it."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def age_at(birth_dates: pd.Series, as_of: dt.date) -> pd.Series:
    """Completed years of age on ``as_of`` (a birthday on ``as_of`` counts); NaT gives <NA>.

    >>> s = pd.Series(pd.to_datetime(["1964-01-01", "1964-01-02", None]))
    >>> age_at(s, dt.date(2024, 1, 1)).tolist()
    [60, 59, <NA>]
    """
    b = pd.to_datetime(birth_dates)
    years = as_of.year - b.dt.year
    before_birthday = (b.dt.month > as_of.month) | ((b.dt.month == as_of.month) & (b.dt.day > as_of.day))
    age = years - before_birthday.astype("int64")
    return age.astype("Int64").where(b.notna(), pd.NA)
