"""Argument types shared by the sub-commands, with Chinese messages."""

from __future__ import annotations

import argparse
import datetime as dt


def date_arg(text: str) -> dt.date:
    """A YYYY-MM-DD command-line date.

    >>> date_arg("2023-12-25")
    datetime.date(2023, 12, 25)
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD，收到 {text!r}") from None
