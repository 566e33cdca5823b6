"""Money: integer fen inside the system, exact yuan (Decimal, two decimals) wherever it leaves it."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

FEN = Decimal("0.01")


def to_fen(yuan: Decimal) -> int:
    """Exact yuan (at most two decimals) to integer fen.

    >>> to_fen(Decimal("380")), to_fen(Decimal("0.5"))
    (38000, 50)
    """
    return int((yuan / FEN).to_integral_exact())


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen as exact yuan for what leaves the system (exchange tables, reports).

    >>> fen_to_yuan(11400), fen_to_yuan(-5)
    (Decimal('114.00'), Decimal('-0.05'))
    """
    return (Decimal(int(fen)) * FEN).quantize(FEN)


def yuan(fen: int) -> str:
    """Integer fen as a yuan string with two decimals.

    >>> yuan(19000), yuan(-5), yuan(0)
    ('190.00', '-0.05', '0.00')
    """
    return str(fen_to_yuan(fen))


def yuan_grouped(fen: int) -> str:
    """:func:`yuan` with thousands separators, for totals a person reads (a county's batch runs to millions).

    >>> yuan_grouped(1983456800), yuan_grouped(38000), yuan_grouped(-123456)
    ('19,834,568.00', '380.00', '-1,234.56')
    """
    return f"{fen_to_yuan(fen):,}"


def yuan_series(fen: pd.Series) -> pd.Series:
    """Vectorized :func:`yuan` for integer fen columns (what leaves the system in bulk).

    >>> yuan_series(pd.Series([19000, -5, 0, 123456789])).tolist()
    ['190.00', '-0.05', '0.00', '1234567.89']
    """
    fen = fen.astype("int64")
    whole, cents = fen.abs() // 100, fen.abs() % 100
    sign = pd.Series("", index=fen.index, dtype="str").where(fen >= 0, "-")
    return sign + whole.astype("str") + "." + cents.astype("str").str.zfill(2)
