"""One ID number at a time, in python-stdnum's shape (compact / validate / is_valid), for the CLI and forms.

Each function runs the same vectorized rules as :func:`yibao.ids.check` on a one-row column, so a single
ID and a million-row roster can never disagree.

>>> calc_check_char("11010519491231002")
'X'
>>> to_18("110105491231002")
'11010519491231002X'
>>> compact(" １１０１０５１９４９１２３１００２x ")
'11010519491231002X'
>>> validate("11010519491231002X", as_of=dt.date(2024, 1, 1))
'11010519491231002X'
>>> is_valid("110105194912310020", as_of=dt.date(2024, 1, 1))
False
>>> validate("110105194912310020", as_of=dt.date(2024, 1, 1))
Traceback (most recent call last):
    ...
yibao.ids.ric.InvalidID: 身份证号码 110105********0020 无效：校验位错误，应为X
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from yibao.errors import UserError
from yibao.ids.matrix import WEIGHTS, check_value, text_array
from yibao.ids.vector import check, clean_text, describe
from yibao.masking import mask_id


class InvalidID(UserError):
    """An ID number that fails validation; ``codes`` lists the reason codes (see ``yibao.ids.REASONS``)."""

    def __init__(self, message: str, codes: list[str]):
        super().__init__(message)
        self.codes = codes


def compact(number: object) -> str:
    """The number with what is safe to normalize normalized (no 15→18 upgrade, no Excel repair)."""
    cleaned = clean_text(text_array(pd.Series([number], dtype=object)))[0].as_py()
    return cleaned or ""


def calc_check_char(body: str) -> str:
    """The check character for 17 body digits (ISO 7064 MOD 11-2)."""
    if len(body) != 17 or not body.isdigit() or not body.isascii():
        raise ValueError("the body of an ID number is 17 digits")
    weighted = int(np.dot(np.frombuffer(body.encode(), dtype=np.uint8) - 48, WEIGHTS)) % 11
    return "0123456789X"[int(check_value(np.array([weighted]))[0])]


def to_18(number: str) -> str:
    """Upgrade a 15-digit legacy ID: insert the century '19' and compute the check character."""
    number = compact(number)
    if len(number) != 15 or not number.isdigit():
        raise InvalidID(f"身份证号码 {mask_id(number)} 不是15位旧号码", ["BAD_LENGTH"])
    body = number[:6] + "19" + number[6:]
    return body + calc_check_char(body)


def validate(number: object, as_of: dt.date | None = None, home_region: str | None = None) -> str:
    """The normalized 18-character ID, or :class:`InvalidID` naming every problem (ID masked)."""
    frame = check(pd.Series([number], dtype=object), as_of=as_of, home_region=home_region)
    row = frame.iloc[0]
    if row["valid"]:
        return row["normalized"]
    explained = describe(frame).iloc[0]
    shown = row["normalized"] if pd.notna(row["normalized"]) else compact(number)
    raise InvalidID(
        f"身份证号码 {mask_id(shown)} 无效：{explained['reason_text']}",
        explained["reason_codes"].split(","),
    )


def is_valid(number: object, as_of: dt.date | None = None) -> bool:
    """Whether :func:`validate` accepts the number."""
    try:
        validate(number, as_of=as_of)
    except InvalidID:
        return False
    return True
