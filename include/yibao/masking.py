"""Masking of personal data for logs, errors, XComs, the UI and public lists (公示).

>>> mask_id("37172419800101123X")
'371724********123X'
>>> mask_name("张三丰"), mask_name("李四")
('张*丰', '李*')
>>> mask_name_series(pd.Series(["张三丰", "李四", "欧阳娜娜", "王", None])).tolist()
['张*丰', '李*', '欧**娜', '王', '']
"""

from __future__ import annotations

import pandas as pd


def mask_id(value: object) -> str:
    """Keep the 6-digit region and the last four characters; anything short is fully starred."""
    s = "" if value is None else str(value)
    if len(s) < 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_name(value: object) -> str:
    """Keep the surname; for three or more characters also the last one (公示 convention)."""
    s = "" if value is None else str(value)
    if len(s) <= 1:
        return s
    if len(s) == 2:
        return s[0] + "*"
    return s[0] + "*" * (len(s) - 2) + s[-1]


def mask_id_series(values: pd.Series) -> pd.Series:
    """Vectorized :func:`mask_id` for 18-character IDs (others fall back to the scalar form)."""
    s = values.astype("string")
    ok = s.str.len() == 18
    out = s.str.slice(0, 6) + "********" + s.str.slice(14, 18)
    return out.where(ok, s.map(mask_id, na_action="ignore"))


def mask_name_series(values: pd.Series) -> pd.Series:
    """Vectorized :func:`mask_name` (few distinct name lengths, so one slice-replace per length)."""
    s = values.fillna("").astype("str")
    lengths = s.str.len()
    out = s.copy()
    two = lengths == 2
    out[two] = s[two].str.slice(0, 1) + "*"
    for n in lengths[lengths >= 3].unique():
        rows = lengths == n
        out[rows] = s[rows].str.slice_replace(1, int(n) - 1, "*" * (int(n) - 2))
    return out
