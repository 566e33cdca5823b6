"""Vectorized resident ID numbers for generated people: check characters, person keys, region codes.

Generation needs the MOD 11-2 check for a million IDs at once, so it is a small numpy dot product here
(``yibao.ids`` validates; this module only builds). Region codes come from python-stdnum's GB/T 2260
history so every generated code is real: the county's current code, its retired codes (elders carry
them), and other counties' codes for residence-permit holders.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = np.array(list("10X98765432"))
CHECK_VALUES = np.array([1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def check_index(first17: np.ndarray) -> np.ndarray:
    """``sum(digit × weight) mod 11`` — index into :data:`CHECK_CHARS` / :data:`CHECK_VALUES`."""
    rest = np.asarray(first17, dtype=np.int64).copy()
    total = np.zeros(len(rest), dtype=np.int64)
    for weight in WEIGHTS[::-1]:  # least significant digit first
        rest, digit = np.divmod(rest, 10)
        total += digit * weight
    return total % 11


def check_chars(first17: np.ndarray) -> np.ndarray:
    """MOD 11-2 check characters.

    >>> check_chars(np.array([11010519491231002])).tolist()
    ['X']
    """
    return CHECK_CHARS[check_index(first17)]


def person_keys(first17: np.ndarray) -> np.ndarray:
    """The pipeline's int64 person key: ``first17 × 11 + check value`` (X = 10).

    >>> person_keys(np.array([11010519491231002])).tolist()
    [121115714403541032]
    """
    first17 = np.asarray(first17, dtype=np.int64)
    return first17 * 11 + CHECK_VALUES[check_index(first17)]


def id_strings(first17: np.ndarray) -> pa.Array:
    """Full 18-character IDs.

    >>> id_strings(np.array([11010519491231002])).to_pylist()
    ['11010519491231002X']
    """
    digits = pc.cast(pa.array(np.asarray(first17, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(digits, pa.array(check_chars(first17)), "")


@cache
def region_table() -> tuple[tuple[str, str, int | None, int | None], ...]:
    """(code, name, first year, last year) for every county-level code in stdnum's GB/T 2260 history."""
    text = (files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    rows, province = [], None
    for line in text.splitlines():
        if m := re.match(r"^(\d\d) province=", line):
            province = m.group(1)
        elif (m := re.match(r'^\s+(\d{4}) county="(?:\[(\d*)-(\d*)\])?(.+)"', line)) and province:
            code = province + m.group(1)
            if code.endswith("00") or m.group(4) in {"市辖区", "县", "省直辖县级行政区划"}:
                continue
            first = int(m.group(2)) if m.group(2) else None
            last = int(m.group(3)) if m.group(3) else None
            rows.append((code, m.group(4), first, last))
    return tuple(rows)


def retired_codes(county_name: str) -> list[str]:
    """Retired codes that named the same county (``闻喜县`` → ``142729``): elders may still carry them.

    >>> retired_codes("闻喜县")
    ['142729']
    """
    stem = county_name[:-1] if len(county_name) > 2 else county_name
    return sorted(c for c, name, _, last in region_table() if last is not None and name[:-1] == stem)


def other_county_codes(exclude: str) -> list[str]:
    """Current codes of other counties, the origins of residence-permit holders."""
    return sorted(c for c, _, _, last in region_table() if last is None and c != exclude)
