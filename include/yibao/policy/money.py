"""Percentages of a contribution, rounded as the rule file declares (see :mod:`yibao.money` for fen/yuan).

Amounts depend on the category, never on the person, so every Decimal computation happens once per
category at load time; the engine then moves int64 fen around.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.money import FEN, to_fen
from yibao.policy.schema import ROUNDING_MODES


def percent_of(fen: int, percent: Decimal, rounding: str, quantum: str = "0.01") -> int:
    """``percent`` % of ``fen``, rounded to ``quantum`` yuan with the rule file's rounding mode.

    >>> percent_of(38000, Decimal(30), "ROUND_HALF_UP")
    11400
    >>> [percent_of(38100, Decimal(50), mode, "1") for mode in ("ROUND_HALF_UP", "ROUND_DOWN")]
    [19100, 19000]
    """
    yuan = Decimal(fen) * FEN * percent / 100
    return to_fen(yuan.quantize(Decimal(quantum), rounding=ROUNDING_MODES[rounding]))
