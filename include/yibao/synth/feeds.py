"""Department drops as frames before writing: who is on each roster, with the label the department uses.

Each roster frame has one row per listed person: ``pid`` (row of the persons frame), ``status``
(standard name), ``category`` (the label as the department writes it), ``id_text`` (the ID as written,
clean until :mod:`yibao.synth.defects` damages it) and ``hidden`` (dead or moved-out members the
department has already removed; the DECEASED_ON_ROSTER defect brings some back).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from yibao.synth import population
from yibao.synth.rosters import Rosters

ROSTER_FEEDS = ("minzheng_zongmingdan", "xiangcun_zongmingdan", "canlian", "weijian", "tuiyi")
CHANGES_FEED = "minzheng_tiaozheng"
# The label each department writes for a standard status: one label, (rural, urban), or a family-type
# choice (卫健 writes the family type, every one of which means 计生优待家庭成员).
OFFICIAL_LABELS: dict[str, str | tuple[str, ...]] = {
    "特困人员": ("农村特困供养人员", "城镇特困供养人员"),
    "低保对象": ("农村低保家庭成员", "城镇低保家庭成员"),
    "丧失劳动能力的残疾人": "丧失劳动能力的残疾人员",
    "优抚对象": "重点优抚对象",
    "计生优待家庭成员": ("农村一女户", "农村双女户", "独生子女伤亡病残家庭"),
}
GRADE_LABELS = np.array(["", "一级", "二级", "三级", "四级"])


def official_label_set(status: str) -> tuple[str, ...]:
    """Every label a department officially writes for ``status``."""
    label = OFFICIAL_LABELS.get(status, status)
    return label if isinstance(label, tuple) else (label,)


def labels(status: np.ndarray, persons: pd.DataFrame, pid: np.ndarray) -> np.ndarray:
    """The department's label per row: rural/urban variants by town, family type by household."""
    is_urban = population.urban(persons)[pid]
    household = persons["household_id"].to_numpy()[pid]
    out = status.astype(object).copy()
    for st, label in OFFICIAL_LABELS.items():
        rows = status == st
        if isinstance(label, str):
            out[rows] = label
        elif len(label) == 2:
            out[rows] = np.where(is_urban[rows], label[1], label[0])
        else:
            out[rows] = np.asarray(label, dtype=object)[household[rows] % len(label)]
    return out


def roster_frames(persons: pd.DataFrame, rosters: Rosters) -> dict[str, pd.DataFrame]:
    """One frame per roster feed (see the module docstring) plus the 民政 changes frame."""
    ids = persons["id_number"].to_numpy()
    gone = ~persons["alive"].to_numpy() | persons["moved_out"].to_numpy()
    frames = {}
    for feed in ROSTER_FEEDS:
        m = rosters.memberships[rosters.memberships["feed"] == feed]
        pid = m["pid"].to_numpy()
        status = m["status"].to_numpy(dtype=object)
        frame = pd.DataFrame(
            {
                "pid": pid,
                "status": status,
                "category": labels(status, persons, pid),
                "id_text": ids[pid],
                "hidden": gone[pid],
            }
        )
        if feed == "canlian":
            frame["disability_grade"] = GRADE_LABELS[rosters.grade[pid]]
            frame["disability_type"] = rosters.disability_type[pid]
        frames[feed] = frame
    c = rosters.changes
    pid = c["pid"].to_numpy()
    status = c["status"].to_numpy(dtype=object)
    frames[CHANGES_FEED] = pd.DataFrame(
        {
            "pid": pid,
            "status": status,
            "category": labels(status, persons, pid),
            "id_text": ids[pid],
            "hidden": False,
            "change_type": c["change_type"].to_numpy(),
            "change_date": c["change_date"].to_numpy(),
        }
    )
    return frames
