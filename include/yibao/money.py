"""Money leaves the system as exact yuan with two decimals; inside it is integer fen."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def fen_to_yuan(fen: int) -> Decimal:
    """>>> fen_to_yuan(11400), fen_to_yuan(-5)
    (Decimal('114.00'), Decimal('-0.05'))
    """
    return (Decimal(int(fen)) / 100).quantize(CENT)


def yuan_text(fen: int) -> str:
    """>>> yuan_text(38000)
    '380.00'
    """
    return str(fen_to_yuan(fen))
