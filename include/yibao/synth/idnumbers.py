"""Resident ID numbers for generated people: real region codes, person keys and 18-character strings.

Built on :mod:`yibao.ids` so the check character and the GB/T 2260 history have one implementation:
the county's current code, its retired codes (elders carry them), and other counties' codes for
residence-permit holders.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from yibao.ids.key import from_key, key_of_body
from yibao.ids.regions import IN_USE, UNKNOWN, region_table

NOT_A_COUNTY = {"市辖区", "县", "省直辖县级行政区划"}


def person_keys(first17: np.ndarray) -> np.ndarray:
    """The pipeline's int64 person key: ``first17 × 11 + check value`` (X = 10)."""
    return key_of_body(first17)


def id_strings(first17: np.ndarray) -> pd.Series:
    """Full 18-character IDs.

    >>> id_strings(np.array([11010519491231002])).tolist()
    ['11010519491231002X']
    """
    return from_key(person_keys(first17))


@cache
def _counties() -> tuple[tuple[str, str, int], ...]:
    """(code, name, last year in use) for every county-level code in the history."""
    table = region_table()
    return tuple(
        (code, name, int(table.last_year[int(code)]))
        for code, name in sorted(table.names.items())
        if not code.endswith("00") and name not in NOT_A_COUNTY and table.last_year[int(code)] != UNKNOWN
    )


def last_year(code: str) -> int:
    return int(region_table().last_year[int(code)])


def retired_codes(county_name: str) -> list[str]:
    """Retired codes that named the same county (``闻喜县`` → ``142729``): elders may still carry them.

    >>> retired_codes("闻喜县")
    ['142729']
    """
    stem = county_name[:-1] if len(county_name) > 2 else county_name
    return [c for c, name, last in _counties() if last != IN_USE and name[:-1] == stem]


def other_county_codes(exclude: str) -> list[str]:
    """Current codes of other counties, the origins of residence-permit holders."""
    return [c for c, _, last in _counties() if last == IN_USE and c != exclude]


def current_county_names() -> list[str]:
    """Names of counties whose code is in use (places where people are insured elsewhere)."""
    return [name for _, name, last in _counties() if last == IN_USE]
