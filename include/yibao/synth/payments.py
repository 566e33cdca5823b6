"""Tax payment records: who pays, when and how much.

About 90% of the people who should insure pay, the rate differing by town (±5 points); assisted people
pay more often (their bills are settled by the village). Dates spread over the collection window with a
late surge before it closes, and a few payments come after it. The amount is the personal part the
policy engine decides (380.00 for ordinary payers; less, or 0.00, for assisted people).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PAY_RATE = 0.90
TOWN_SPREAD = 0.05
ASSISTED_PAY_RATE = 0.97
LATE_SHARE = 0.02  # of payers: pay within two months after the window closes
SURGE_SHARE = 0.45  # of payers: pay in the late surge (Beta(4, 1) over the window)
CHANNELS = np.array(["村级代收", "微信", "支付宝", "手机银行", "办税服务厅"])
CHANNEL_P = np.array([0.35, 0.3, 0.15, 0.12, 0.08])
ASSISTED_CHANNEL = "特殊缴费单据"


def should_insure(persons: pd.DataFrame) -> np.ndarray:
    """Alive, not moved out, registered here or holding a residence permit, and not insured otherwise."""
    p = persons
    return (
        p["alive"].to_numpy()
        & ~p["moved_out"].to_numpy()
        & (p["in_register"].to_numpy() | p["residence_permit"].to_numpy())
        & ~p["employee_insured"].to_numpy()
        & ~p["insured_elsewhere"].to_numpy()
    )


def generate(
    persons: pd.DataFrame,
    assisted: np.ndarray,
    personal_fen: np.ndarray,
    window: tuple[dt.date, dt.date],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Payment records (``pid``, ``paid_date``, ``paid_fen``, ``channel``), including late ones.

    Records dated after the drop's ``as_of`` are the caller's to leave out: they have not happened yet.
    """
    n = len(persons)
    town = persons["town_idx"].to_numpy()
    town_rate = PAY_RATE + rng.uniform(-TOWN_SPREAD, TOWN_SPREAD, int(town.max()) + 1)
    p = np.where(assisted, ASSISTED_PAY_RATE, town_rate[town])
    payer = np.flatnonzero(should_insure(persons) & (rng.random(n) < p))
    k = len(payer)
    start, end = (np.datetime64(d, "D") for d in window)
    span = int((end - start).astype(np.int64)) + 1
    frac = np.where(rng.random(k) < SURGE_SHARE, rng.beta(4, 1, k), rng.random(k))
    date = start + np.minimum(np.floor(frac * span).astype(np.int64), span - 1).astype("timedelta64[D]")
    late = rng.random(k) < LATE_SHARE
    date = np.where(late, end + rng.integers(1, 61, k).astype("timedelta64[D]"), date)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")[payer]
    date = np.maximum(date, birth + np.timedelta64(3, "D"))  # newborns are enrolled after birth
    fen = personal_fen[payer]
    channel = np.where(fen == 0, ASSISTED_CHANNEL, CHANNELS[rng.choice(len(CHANNELS), size=k, p=CHANNEL_P)])
    return pd.DataFrame({"pid": payer, "paid_date": date, "paid_fen": fen, "channel": channel})
