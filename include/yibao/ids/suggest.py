"""Suggest the intended ID for a mistyped roster ID by looking in the household register.

The usual typing errors are one wrong digit or two neighbours swapped. The MOD 11-2 check character
catches every such error, so a register ID that differs from what was written by exactly one of them
is a strong candidate, provided the name (and town or village, when the roster gives them) also match.
Rather than comparing strings, only the *valid* neighbours of each written ID are generated: for each
body position at most one replacement digit satisfies the check, so a written ID has about 18 valid
neighbours, produced as integer keys with numpy and looked up in the register's keys.

A suggestion is offered only when exactly one register person fits; otherwise ``candidates`` says how many.

>>> register = pd.DataFrame({"id_number": ["11010519491231002X", "110105194912310038"],
...                          "name": ["张三", "李四"], "town": ["城关镇", "城关镇"], "village": [None, None]})
>>> bad = pd.DataFrame({"id_number": ["11010519491231003X", "110105194912310083", "110105194912310038"],
...                     "name": ["张三", "李四", "王五"]})
>>> suggest_corrections(bad, register).values.tolist()
[['11010519491231002X', 1, 'substitution'], ['110105194912310038', 1, 'transposition'], [<NA>, 0, <NA>]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from yibao import names
from yibao.ids.key import from_key, to_key
from yibao.ids.matrix import STRING, WEIGHTS, WIDTH, check_value
from yibao.ids.vector import check

RULES = np.array(["substitution", "transposition"], dtype=object)
_POW10 = 10 ** np.arange(16, -1, -1, dtype=np.int64)  # place value of body position i
_INVERSE = np.array([pow(int(w), -1, 11) for w in WEIGHTS], dtype=np.int64)


def _digits(keys: np.ndarray) -> np.ndarray:
    """(18, k) character values (X = 10) of keys."""
    vt = np.empty((WIDTH, len(keys)), dtype=np.int64)
    vt[17] = keys % 11
    body = keys // 11
    for i in range(16, -1, -1):
        vt[i] = body % 10
        body = body // 10
    return vt


def neighbours(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valid IDs one substitution or one adjacent swap away: (index into keys, neighbour key, rule 0/1).

    >>> from yibao.ids.key import to_key, from_key
    >>> _, found, rules = neighbours(to_key(pd.Series(["11010519491231002X"])))
    >>> len(found), set(rules.tolist())  # a valid ID has no valid neighbour: MOD 11-2 catches them all
    (0, set())
    """
    vt = _digits(keys)
    body_sum = (vt[:17] * WEIGHTS[:, None]).sum(axis=0) % 11
    delta = (1 - vt[17] - body_sum) % 11  # what the body sum must change by (mod 11)
    idx, new, rule = [], [], []

    def add(ok: np.ndarray, new_keys: np.ndarray, code: int) -> None:
        pos, row = np.nonzero(ok)
        idx.append(row)
        new.append(new_keys[pos, row] if new_keys.ndim == 2 else new_keys[row])
        rule.append(np.full(len(row), code, dtype=np.int8))

    # One body digit replaced: the only digit that satisfies the check at position i.
    digit = (vt[:17] + delta * _INVERSE[:, None]) % 11
    add((delta != 0) & (digit <= 9), keys + (digit - vt[:17]) * _POW10[:, None] * 11, 0)
    # The check character itself replaced.
    expected = check_value(body_sum)
    add((expected != vt[17])[None, :], keys - vt[17] + expected, 0)
    # Two body neighbours swapped.
    left, right = vt[:16], vt[1:17]
    change = (WEIGHTS[:16, None] - WEIGHTS[1:17, None]) * (right - left)
    swapped_ok = (left != right) & ((body_sum + change + vt[17]) % 11 == 1)
    moved = (right - left) * (_POW10[:16, None] - _POW10[1:17, None]) * 11
    add(swapped_ok, keys + moved, 1)
    # The last body digit swapped with the check character (only when the check is a digit).
    last, chk = vt[16], vt[17]
    tail_ok = (chk <= 9) & (last != chk) & ((body_sum + WEIGHTS[16] * (chk - last) + last) % 11 == 1)
    add(tail_ok[None, :], keys + (chk - last) * 11 - chk + last, 1)
    return np.concatenate(idx), np.concatenate(new), np.concatenate(rule)


def _text(series: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Stripped text of ``series`` at positional ``rows`` (object array, None when missing or blank)."""
    picked = series.iloc[rows].astype(STRING).str.strip().replace("", pd.NA)
    return picked.astype(object).where(picked.notna(), None).to_numpy()


def _register_matches(cand_keys: np.ndarray, reg_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (candidate index, register row) pairs with equal keys: one sort of the register, two searches."""
    order = np.argsort(reg_keys, kind="stable")
    ordered = reg_keys[order]
    left = np.searchsorted(ordered, cand_keys, side="left")
    hits = np.searchsorted(ordered, cand_keys, side="right") - left
    cand = np.repeat(np.arange(len(cand_keys)), hits)
    first = np.repeat(left, hits)
    within = np.arange(len(cand)) - np.repeat(np.cumsum(hits) - hits, hits)
    return cand, order[first + within]


def suggest_corrections(bad: pd.DataFrame, register: pd.DataFrame, register_keys: np.ndarray | None = None,
                        ) -> pd.DataFrame:
    """``suggested_id`` (<NA> unless exactly one fit), ``candidates`` count and ``suggestion_rule``.

    ``register_keys`` are the register's ID keys when the caller holds them already (persons carry them; -1
    for a row that is not to be suggested), so a million IDs are not keyed again.
    """
    written = check(bad["id_number"])["key"].to_numpy()
    rows = np.flatnonzero(written >= 0)
    which, cand_keys, rules = neighbours(written[rows])
    keys = to_key(register["id_number"]) if register_keys is None else register_keys
    matched, reg_rows = _register_matches(cand_keys, keys)
    bad_rows = rows[which[matched]]

    # Same person means same name, and same town / village wherever the roster gives one.
    given = bad["name"].iloc[bad_rows].reset_index(drop=True)
    fits = (given.fillna("").str.strip() != "").to_numpy() & ~names.differ(
        given, register["name"].iloc[reg_rows].reset_index(drop=True)).to_numpy()
    for column in ("town", "village"):
        if column in bad.columns and column in register.columns:
            given = _text(bad[column], bad_rows)
            fits &= pd.isna(given) | (given == _text(register[column], reg_rows))
    cand = pd.DataFrame(
        {"row": bad_rows[fits], "key": cand_keys[matched][fits], "rule": rules[matched][fits]}
    )
    cand = cand.drop_duplicates(["row", "key"])

    counts = np.bincount(cand["row"].to_numpy(), minlength=len(bad))
    unique = cand[counts[cand["row"].to_numpy()] == 1]
    suggested = np.full(len(bad), -1, dtype=np.int64)
    suggested[unique["row"].to_numpy()] = unique["key"].to_numpy()
    rule = pd.array([pd.NA] * len(bad), dtype=STRING)
    rule[unique["row"].to_numpy()] = RULES[unique["rule"].to_numpy()]
    return pd.DataFrame(
        {
            "suggested_id": from_key(suggested).array,
            "candidates": counts.astype(np.int64),
            "suggestion_rule": rule,
        },
        index=bad.index,
    )
