"""Department labels → standard statuses: statuses.yaml aliases plus the rules file's own ``labels``."""

from __future__ import annotations

import pandas as pd

from yibao.attributes import attributes
from yibao.policy.loader import Policy
from yibao.sources import fold, status_aliases

SEPARATORS = r"[、;；,，/]"


def resolve_labels(policy: Policy, labels: pd.Series) -> pd.Series:
    """Map raw labels to standard statuses (<NA> when unknown); work is per distinct label, not per row.

    >>> from yibao.policy import load
    >>> labels = pd.Series(["农村特困供养人员", "城镇低保家庭成员 ", "火星人"])
    >>> resolve_labels(load("wenxi-2024"), labels).tolist()
    ['特困人员', '低保对象', <NA>]
    """
    table = {**status_aliases(), **policy.aliases}
    distinct = labels.dropna().unique()
    mapping = {label: table.get(fold(label)) for label in distinct}
    return labels.map(mapping).astype("string")


def split_labels(labels: pd.Series) -> pd.Series:
    """One cell may hold several labels (``低保对象、残疾人``): one row per label, index kept, blanks dropped.

    >>> split_labels(pd.Series(["低保对象、残疾人", "", None, "孤儿;特困"])).tolist()
    ['低保对象', '残疾人', '孤儿', '特困']
    """
    parts = labels.astype("string").str.split(SEPARATORS, regex=True).explode().str.strip()
    return parts[parts.notna() & (parts != "")]


def label_attributes(policy: Policy, labels: pd.Series) -> pd.DataFrame:
    """Attribute values the labels themselves tell (``重度残疾人`` ⇒ 残疾等级), one row per label; <NA> else.

    >>> from yibao.policy import load
    >>> label_attributes(load("tengzhou-2024"), pd.Series(["重度残疾人", "残疾人"]))["disability_grade"].tolist()
    [2, <NA>]
    """
    declared = attributes()
    names = list(dict.fromkeys(n for told in policy.implied.values() for n in told))
    told = {label: policy.implied.get(fold(label), {}) for label in labels.dropna().unique()}  # per distinct label
    out = pd.DataFrame(index=labels.index)
    for name in names:
        mapping = {label: values[name] for label, values in told.items() if name in values}
        out[name] = labels.map(mapping).astype("Int64" if declared[name].numeric else "string")
    return out
