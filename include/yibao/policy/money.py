"""Money as integer fen; Decimal only where a rule file's percentage meets its declared rounding.

Amounts depend on the category, never on the person, so every Decimal computation happens once per
category at load time; the engine then moves int64 fen around.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.policy.schema import ROUNDING_MODES

FEN = Decimal("0.01")


def to_fen(yuan: Decimal) -> int:
    """Exact yuan (at most two decimals) to integer fen.

    >>> to_fen(Decimal("380")), to_fen(Decimal("0.5"))
    (38000, 50)
    """
    return int((yuan / FEN).to_integral_exact())


def percent_of(fen: int, percent: Decimal, rounding: str, quantum: str = "0.01") -> int:
    """``percent`` % of ``fen``, rounded to ``quantum`` yuan with the rule file's rounding mode.

    >>> percent_of(38000, Decimal(30), "ROUND_HALF_UP")
    11400
    >>> [percent_of(38100, Decimal(50), mode, "1") for mode in ("ROUND_HALF_UP", "ROUND_DOWN")]
    [19100, 19000]
    """
    yuan = Decimal(fen) * FEN * percent / 100
    return to_fen(yuan.quantize(Decimal(quantum), rounding=ROUNDING_MODES[rounding]))


def yuan(fen: int) -> str:
    """Integer fen as a yuan string with two decimals.

    >>> yuan(19000), yuan(-5), yuan(0)
    ('190.00', '-0.05', '0.00')
    """
    return f"{Decimal(int(fen)) * FEN:.2f}"
