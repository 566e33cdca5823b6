"""ID numbers as an (n, 18) byte matrix: the representation every vectorized rule works on.

Arrow strings keep their characters in one contiguous buffer, so 18-byte values can be viewed as rows
of a uint8 matrix without touching Python objects; the way back builds an Arrow array from the matrix
buffer directly. This is what makes a million IDs a few numpy passes instead of a million calls.

>>> m = ascii_matrix(text_array(pd.Series(["11010519491231002X", None])), np.array([0]))
>>> bytes(m[0]).decode()
'11010519491231002X'
>>> strings_from_matrix(m, np.array([True])).tolist()
['11010519491231002X']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

WIDTH = 18
#: ISO 7064 MOD 11-2 weights of the 17 body digits (2**(17-i) mod 11).
WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
STRING = pd.StringDtype("pyarrow")


def text_array(values: pd.Series) -> pa.LargeStringArray:
    """The values as one Arrow large_string array (numbers become their text, as Excel left them)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(STRING)
    arr = pa.array(values.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def byte_lengths(arr: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets of each value in the data buffer, byte length of each value; nulls get length -1)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    lengths = np.diff(offsets)
    if arr.null_count:
        lengths = np.where(arr.is_null().to_numpy(zero_copy_only=False), -1, lengths)
    return offsets[:-1], lengths


def ascii_matrix(arr: pa.LargeStringArray, rows: np.ndarray) -> np.ndarray:
    """The bytes of the (18-byte) values at ``rows`` as an (len(rows), 18) uint8 matrix."""
    starts, _ = byte_lengths(arr)
    starts = starts[rows]
    data_buffer = arr.buffers()[2]
    if len(starts) == 0 or data_buffer is None:
        return np.zeros((0, WIDTH), dtype=np.uint8)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    first = int(starts[0])
    if int(starts[-1]) - first == WIDTH * (len(starts) - 1) and np.all(np.diff(starts) == WIDTH):
        return data[first : first + WIDTH * len(starts)].reshape(-1, WIDTH)
    # Every 18-byte window of the buffer as a row (a view, no copy), then one row gather.
    windows = np.lib.stride_tricks.as_strided(data, shape=(len(data) - WIDTH + 1, WIDTH), strides=(1, 1))
    return windows[starts]


def strings_from_matrix(m: np.ndarray, present: np.ndarray) -> pd.Series:
    """Rows of ``m`` as 18-character strings (pandas ``string`` dtype); <NA> where ``present`` is False."""
    n = len(m)
    data = pa.py_buffer(np.ascontiguousarray(m, dtype=np.uint8).tobytes())
    offsets = pa.py_buffer(np.arange(0, WIDTH * (n + 1), WIDTH, dtype=np.int64))
    present = np.asarray(present, dtype=bool)
    nulls = int(n - present.sum())
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None
    arr = pa.Array.from_buffers(pa.large_string(), n, [validity, offsets, data], null_count=nulls)
    return pd.Series(pd.arrays.ArrowStringArray(arr))


def digit_values(mt: np.ndarray) -> np.ndarray:
    """Character values of a transposed (18, n) byte matrix: '0'–'9' → 0–9, 'X' → 10, others ≥ 11."""
    v = mt - np.uint8(48)
    v[v > 9] = 11  # ':' is '0' + 10: only 'X' may mean 10
    v[mt == ord("X")] = 10
    return v


def weighted_sum(vt: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 weighted sum of the 17 body digits of a transposed value matrix, mod 11."""
    total = np.zeros(vt.shape[1], dtype=np.int32)
    for i in range(17):
        total += vt[i].astype(np.int32) * int(WEIGHTS[i])
    return total % 11


def body_numbers(vt: np.ndarray) -> np.ndarray:
    """The 17-digit bodies of a transposed value matrix as int64."""
    body = np.zeros(vt.shape[1], dtype=np.int64)
    for i in range(17):
        body = body * 10 + vt[i]
    return body


def check_value(weighted: np.ndarray) -> np.ndarray:
    """Check value (0–10, 10 written 'X') that makes the full weighted sum ≡ 1 (mod 11)."""
    return (12 - weighted) % 11


def check_chars(values: np.ndarray) -> np.ndarray:
    """Check values as ASCII byte codes."""
    return np.where(values == 10, ord("X"), values + 48).astype(np.uint8)
