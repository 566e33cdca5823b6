"""Subsidy policy as data: rules files in ``include/rules/``, a vectorized decision engine, explanations.

>>> p = load("juye-2024")
>>> (p.personal_fen, p.fiscal_fen, p.collection_window[0].isoformat())
(38000, 64000, '2023-09-01')
"""

from yibao.policy.engine import PolicyIncomplete, decide
from yibao.policy.explain import explain
from yibao.policy.labels import label_attributes, resolve_labels, split_labels
from yibao.policy.loader import (
    CategoryRule,
    IneligibleRule,
    LatePaymentRule,
    NewbornRule,
    NoWaitingRule,
    Policy,
    RefundRule,
    WaitingPeriod,
    load,
)

__all__ = [
    "CategoryRule",
    "IneligibleRule",
    "LatePaymentRule",
    "NewbornRule",
    "NoWaitingRule",
    "Policy",
    "PolicyIncomplete",
    "RefundRule",
    "WaitingPeriod",
    "decide",
    "explain",
    "label_attributes",
    "load",
    "resolve_labels",
    "split_labels",
]
