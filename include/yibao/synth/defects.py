"""Defects injected into the roster drops at configurable rates, each recorded for the ground truth.

Rates are shares of a roster's rows (person-level defects: of all roster rows). ID and label defects
go to distinct rows that are not themselves duplicates or deceased, so each damaged cell has one cause.
DUP_ACROSS is not injected: it records the natural overlap (a person listed by two departments), so it
stays in the truth even at ``--defect-scale 0``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from yibao.sources import fold, status_aliases
from yibao.synth.feeds import CHANGES_FEED, ROSTER_FEEDS, official_label_set

EXPECT = {
    "BAD_CHECK": "reject",
    "LEGACY_15": "normalize",
    "FULLWIDTH": "normalize",
    "LOWER_X": "normalize",
    "EXCEL_SCIENTIFIC": "reject",
    "EXCEL_DECIMAL": "reject",
    "TRUNCATED": "reject",
    "TYPO_ID": "reject",
    "UNKNOWN_LABEL": "reject",
    "VARIANT_LABEL": "normalize",
    "DECEASED_ON_ROSTER": "flag",
    "DUP_WITHIN": "flag",
    "DUP_ACROSS": "flag",
    "NOT_IN_REGISTER": "flag",
}
ID_DEFECTS = (
    "BAD_CHECK",
    "LEGACY_15",
    "FULLWIDTH",
    "LOWER_X",
    "EXCEL_SCIENTIFIC",
    "EXCEL_DECIMAL",
    "TRUNCATED",
    "TYPO_ID",
)
LABEL_DEFECTS = ("UNKNOWN_LABEL", "VARIANT_LABEL")
# Labels seen in real drops that match no standard status or alias (checked against statuses.yaml).
INVENTED_LABELS = (
    "困难户",
    "贫困户",
    "特殊困难群体",
    "三类对象",
    "低保（待审核）",
    "五保老人",
    "建档立卡户",
    "分散供养",
)
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass(frozen=True)
class DefectRates:
    """Share of roster rows given each defect; ``scaled(0)`` gives clean drops."""

    bad_check: float = 0.004
    legacy_15: float = 0.003
    fullwidth: float = 0.003
    lower_x: float = 0.003
    excel_scientific: float = 0.003
    excel_decimal: float = 0.003
    truncated: float = 0.002
    typo_id: float = 0.005
    unknown_label: float = 0.003
    variant_label: float = 0.01
    deceased_on_roster: float = 0.003
    dup_within: float = 0.005
    not_in_register: float = 0.003

    def scaled(self, factor: float) -> DefectRates:
        """Every rate multiplied by ``factor`` (capped at 1).

        >>> DefectRates().scaled(0).bad_check, DefectRates().scaled(2).typo_id
        (0.0, 0.01)
        """
        return DefectRates(
            **{f.name: min(1.0, getattr(self, f.name) * factor) for f in dataclasses.fields(self)}
        )

    def rate(self, code: str) -> float:
        return getattr(self, code.lower())


def damage_ids(ids: np.ndarray, code: str, rng: np.random.Generator) -> np.ndarray:
    """Apply one ID defect to true 18-character IDs (a few hundred rows: plain Python is fine).

    >>> damage_ids(np.array(["370481198001011234"]), "EXCEL_SCIENTIFIC", None).tolist()
    ['3.70481E+17']
    >>> damage_ids(np.array(["370481198001011234"]), "LEGACY_15", None).tolist()
    ['370481800101123']
    """
    out = []
    for s in ids:
        if code == "BAD_CHECK":
            out.append(s[:17] + rng.choice([c for c in "0123456789X" if c != s[17]]))
        elif code == "LEGACY_15":
            out.append(s[:6] + s[8:17])
        elif code == "FULLWIDTH":
            out.append(s.translate(FULLWIDTH))
        elif code == "LOWER_X":
            out.append(s[:17] + "x")
        elif code == "EXCEL_SCIENTIFIC":
            out.append(f"{int(s):.5E}")
        elif code == "EXCEL_DECIMAL":
            out.append(s + ".0")
        elif code == "TRUNCATED":
            out.append(s[: 18 - int(rng.integers(1, 3))])
        elif code == "TYPO_ID":
            out.append(_typo(s, rng))
    return np.array(out, dtype=object)


def _typo(s: str, rng: np.random.Generator) -> str:
    """One substituted digit or one swap of two different adjacent digits in the first 17 (never valid)."""
    chars = list(s)
    swaps = [i for i in range(16) if chars[i] != chars[i + 1]]
    if rng.random() < 0.5 and swaps:
        i = swaps[int(rng.integers(0, len(swaps)))]
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        i = int(rng.integers(0, 17))
        chars[i] = str((int(chars[i]) + int(rng.integers(1, 10))) % 10)
    return "".join(chars)


def _variant_labels() -> dict[str, list[str]]:
    """Standard status → labels that mean it but are not what its department officially writes."""
    out: dict[str, list[str]] = {}
    for label, status in status_aliases().items():
        if label not in {fold(x) for x in official_label_set(status)}:
            out.setdefault(status, []).append(label)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _unknown_labels() -> list[str]:
    known = status_aliases()
    return [x for x in INVENTED_LABELS if fold(x) not in known]


def _eligible(code: str, last: np.ndarray, birth_year: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Rows a defect can apply to (``last``: the true check character of each row's ID)."""
    if code == "LOWER_X":
        return last == "X"
    if code in ("EXCEL_SCIENTIFIC", "EXCEL_DECIMAL"):
        return last != "X"
    if code == "LEGACY_15":
        return (birth_year >= 1900) & (birth_year <= 1999)
    if code == "VARIANT_LABEL":
        return np.isin(status, list(_variant_labels()))
    return np.ones(len(last), bool)


def inject(
    frames: dict[str, pd.DataFrame], persons: pd.DataFrame, rates: DefectRates, rng: np.random.Generator
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, np.ndarray]:
    """Damage the roster frames; return them in file order, the defect log and the unregistered pids.

    The defect log has ``feed``, ``row`` (1-based in the file), ``pid``, ``defect``, ``column``
    (``id_text`` or ``category``: where ``as_written`` is read once the frames are final).
    """
    alive = persons["alive"].to_numpy()
    town = persons["town_idx"].to_numpy()
    village = persons["village_idx"].to_numpy()
    birth_year = persons["birth_date"].dt.year.to_numpy()
    log: list[pd.DataFrame] = []
    visible_rows = sum(int((~f["hidden"]).sum()) for f in frames.values())

    # Person level: deceased brought back, people missing from the register, duplicates within a roster.
    out = {}
    for feed, frame in frames.items():
        back = np.zeros(len(frame), bool)
        if feed != CHANGES_FEED:
            dead = np.flatnonzero(frame["hidden"].to_numpy() & ~alive[frame["pid"].to_numpy()])
            k = min(len(dead), round(rates.deceased_on_roster * (~frame["hidden"]).sum()))
            back[rng.choice(dead, size=k, replace=False)] = True
        keep = ~frame["hidden"].to_numpy() | back
        frame = frame[keep].assign(defect=np.where(back[keep], "DECEASED_ON_ROSTER", ""))
        k = round(rates.dup_within * len(frame))
        clean = np.flatnonzero(frame["defect"].to_numpy() == "")
        originals = np.sort(rng.choice(clean, size=min(k, len(clean)), replace=False))
        defect = frame["defect"].to_numpy().copy()
        defect[originals] = "DUP_ORIGINAL"  # kept clean so the duplicate is recognisable
        frame = pd.concat(
            [frame.assign(defect=defect), frame.iloc[originals].assign(defect="DUP_WITHIN")],
            ignore_index=True,
        )
        pid = frame["pid"].to_numpy()
        order = np.lexsort(
            (rng.random(len(frame)), village[pid], town[pid])
        )  # listed town by town, village by village
        out[feed] = frame.iloc[order].reset_index(drop=True)

    listed = np.unique(np.concatenate([f["pid"].to_numpy() for f in out.values()]))
    listed = listed[
        alive[listed] & persons["in_register"].to_numpy()[listed] & ~persons["moved_out"].to_numpy()[listed]
    ]
    k = min(len(listed), round(rates.not_in_register * visible_rows))
    unregistered = np.sort(rng.choice(listed, size=k, replace=False))

    # Row level: each ID or label defect on its own clean row.
    seen = np.empty(0, dtype=np.int64)
    for feed in (*ROSTER_FEEDS, CHANGES_FEED):
        frame = out[feed]
        pid = frame["pid"].to_numpy()
        kind = frame["defect"].to_numpy()
        rows = np.arange(len(frame))
        for code in ("DECEASED_ON_ROSTER", "DUP_WITHIN"):
            log.append(_entries(feed, rows[kind == code], pid, code, "id_text"))
        log.append(_entries(feed, rows[np.isin(pid, unregistered)], pid, "NOT_IN_REGISTER", "id_text"))
        if feed != CHANGES_FEED:
            across = (kind != "DUP_WITHIN") & np.isin(pid, seen)
            log.append(_entries(feed, rows[across], pid, "DUP_ACROSS", "id_text"))
            seen = np.union1d(seen, pid)
        used = kind != ""
        ids = frame["id_text"].to_numpy(dtype=object).copy()
        category = frame["category"].to_numpy(dtype=object).copy()
        status = frame["status"].to_numpy(dtype=object)
        last = frame["id_text"].str[17].to_numpy()
        for code in (*ID_DEFECTS, *LABEL_DEFECTS):
            pool = np.flatnonzero(~used & _eligible(code, last, birth_year[pid], status))
            k = min(len(pool), round(rates.rate(code) * len(frame)))
            hit = np.sort(rng.choice(pool, size=k, replace=False))
            used[hit] = True
            if code == "UNKNOWN_LABEL":
                unknown = _unknown_labels()
                category[hit] = np.asarray(unknown, dtype=object)[rng.integers(0, len(unknown), k)]
            elif code == "VARIANT_LABEL":
                variants = _variant_labels()
                category[hit] = [variants[s][int(rng.integers(0, len(variants[s])))] for s in status[hit]]
            else:
                ids[hit] = damage_ids(ids[hit], code, rng)
            log.append(_entries(feed, hit, pid, code, "category" if code in LABEL_DEFECTS else "id_text"))
        out[feed] = frame.assign(id_text=ids, category=category).drop(columns=["hidden", "defect"])
    defects = pd.concat(log, ignore_index=True).sort_values(["feed", "row", "defect"], kind="stable")
    return out, defects.reset_index(drop=True), unregistered


def _entries(feed: str, rows: np.ndarray, pid: np.ndarray, code: str, column: str) -> pd.DataFrame:
    return pd.DataFrame({"feed": feed, "row": rows + 1, "pid": pid[rows], "defect": code, "column": column})
