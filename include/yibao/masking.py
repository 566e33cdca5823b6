"""Masking of personal data for logs, errors, XComs, the UI and public lists (公示).

Light to import (pandas and Arrow load on first use of a series function): every log record is masked
through :mod:`yibao.redaction`, in DAG-parsing processes too.

>>> import pandas as pd
>>> mask_id("37172419800101123X")
'371724********123X'
>>> mask_name("张三丰"), mask_name("李四")
('张*丰', '李*')
>>> mask_id_series(pd.Series(["37172419800101123X", "123", None])).tolist()
['371724********123X', '***', nan]
>>> mask_id_series(pd.Series(["37172419800101123X", None, "140823194001011239"])).tolist()
['371724********123X', nan, '140823********1239']
>>> mask_name_series(pd.Series(["张三丰", "李四", "欧阳娜娜", "王", None])).tolist()
['张*丰', '李*', '欧**娜', '王', '']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    """Vectorized :func:`mask_id` (in Arrow: lists of a million rows mask in milliseconds)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.astype("str").where(values.notna(), None), from_pandas=True).cast(pa.string())
    length = pc.utf8_length(text)
    shortest, longest = pc.min_max(length).values()
    if shortest.is_valid and shortest.as_py() == longest.as_py() >= 10:  # all one length (18): one slice kernel
        masked = pc.utf8_replace_slice(text, 6, -4, "*" * (longest.as_py() - 10))
        return pd.Series(masked, index=values.index, dtype="str").where(values.notna(), None)
    long = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, 6), pc.binary_repeat("*", pc.max_element_wise(pc.subtract(length, 10), 0)),
        pc.utf8_slice_codeunits(text, -4), "")
    short = pc.binary_repeat("*", length)
    masked = pc.if_else(pc.less(length, 10), short, long)
    return pd.Series(masked, index=values.index, dtype="str").where(values.notna(), None)


def mask_name_series(values: pd.Series) -> pd.Series:
    """Vectorized :func:`mask_name`: surname kept, and the last character from three characters on."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.astype("str").where(values.notna(), ""), from_pandas=True).cast(pa.string())
    length = pc.utf8_length(text)
    # one join for every length (no per-row branch): the last character is read from the text after its first
    # two (so one- and two-character names keep none), and a two-character name gets one star
    stars = pc.add(pc.max_element_wise(pc.subtract(length, 2), 0), pc.cast(pc.equal(length, 2), length.type))
    last = pc.utf8_slice_codeunits(pc.utf8_slice_codeunits(text, 2), -1)
    masked = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, 1), pc.binary_repeat("*", stars), last, "")
    return pd.Series(masked, index=values.index, dtype="str")


ID_LIKE = r"\d{6,}"  # any run of six digits may be (part of) an ID number
NAME_LIKE = r"[\u3400-\u9fff\U00020000-\U0002ffff·•]{2,4}"  # what a personal name looks like


def quote_cells(values: pd.Series, max_len: int = 20) -> pd.Series:
    """Cells safe to quote in a rejection message, in 「“…”」: ID-like text masked, name-like text masked.

    A shifted column puts IDs and names where a category or date was expected, so a message may only
    quote a cell once it cannot be either.

    >>> import pandas as pd
    >>> quote_cells(pd.Series(["五保", "140823194001011239", "2023.13.01", "张三丰", "x" * 30])).tolist()
    ['“五*”', '“140823********1239”', '“2023.13.01”', '“张*丰”', '“xxxxxxxxxxxxxxxxxxxx…”']
    """
    s = values.astype("str").str.strip()
    s = s.where(~s.str.contains(ID_LIKE), mask_id_series(s.str.replace(r"\s", "", regex=True)))
    s = s.where(~s.str.fullmatch(NAME_LIKE), mask_name_series(s))
    s = s.where(s.str.len() <= max_len, s.str.slice(0, max_len) + "…")
    return "“" + s + "”"
