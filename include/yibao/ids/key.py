"""The 64-bit person key: 17-digit body × 11 + check value (X = 10), so joins compare integers, not strings.

>>> keys = to_key(pd.Series(["11010519491231002X", None, "not an id"]))
>>> keys.tolist()
[121115714403541032, -1, -1]
>>> from_key(keys).tolist()
['11010519491231002X', <NA>, <NA>]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from yibao.ids.matrix import (
    WEIGHTS,
    WIDTH,
    ascii_matrix,
    body_numbers,
    byte_lengths,
    check_chars,
    digit_values,
    strings_from_matrix,
    text_array,
)


def to_key(normalized: pd.Series) -> np.ndarray:
    """int64 keys of normalized 18-character IDs; -1 for missing or malformed values."""
    text = text_array(normalized)
    _, lengths = byte_lengths(text)
    rows = np.flatnonzero(lengths == WIDTH)
    vt = digit_values(np.ascontiguousarray(ascii_matrix(text, rows).T))
    ok = (vt[:17] <= 9).all(axis=0) & (vt[17] <= 10)
    body = body_numbers(vt)
    keys = np.full(len(normalized), -1, dtype=np.int64)
    keys[rows[ok]] = body[ok] * 11 + vt[17][ok]
    return keys


def key_of_body(bodies: np.ndarray) -> np.ndarray:
    """Keys for 17-digit bodies given as integers (how generated people get valid IDs).

    >>> key_of_body(np.array([11010519491231002])).tolist()
    [121115714403541032]
    """
    rest = np.asarray(bodies, dtype=np.int64).copy()
    total = np.zeros(len(rest), dtype=np.int64)
    for weight in WEIGHTS[::-1]:  # least significant digit first
        rest, digit = np.divmod(rest, 10)
        total += digit * int(weight)
    return np.asarray(bodies, dtype=np.int64) * 11 + (12 - total % 11) % 11


def from_key(keys) -> pd.Series:
    """18-character IDs (pandas ``string`` dtype) from keys; <NA> for negative keys."""
    keys = np.asarray(keys, dtype=np.int64)
    present = keys >= 0
    safe = np.where(present, keys, 0)
    m = np.empty((len(keys), WIDTH), dtype=np.uint8)
    m[:, 17] = check_chars(safe % 11)
    body = safe // 11
    for i in range(16, -1, -1):
        m[:, i] = body % 10 + 48
        body //= 10
    return strings_from_matrix(m, present)
