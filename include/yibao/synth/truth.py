"""The ground truth of a generated county, in ``<out>/_truth/``: what is true about every person, every
injected defect, and a summary. Pipeline tests compare what the pipeline concluded against these files.

``persons.parquet`` — one row per person: ``id_number`` (true 18 characters), ``key`` (int64 person key),
``name``, ``sex``, ``birth_date``, ``town``, ``village``, ``household_id`` ('' for permit holders),
``relation``, ``in_register``, ``residence_permit``, ``alive``, ``death_date``, ``moved_out``,
``move_date``, ``employee_insured``, ``insured_elsewhere``, ``statuses`` ('、'-joined standard statuses,
'' none), ``disability_grade`` (Int64), ``personal_fen`` (the personal part the policy engine decided),
``should_insure``, ``paid`` (a record dated ≤ as_of exists), ``paid_date``, ``paid_fen`` (Int64).

``defects.parquet`` — one row per injected defect: ``feed``, ``file`` (relative path), ``row`` (1-based
data row, title and header rows excluded), ``key``, ``as_written`` (the ID cell, or the category cell for
label defects), ``defect`` and ``expect`` ('reject' | 'normalize' | 'flag').
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from yibao.sources import status_aliases
from yibao.synth import payments
from yibao.synth.defects import EXPECT
from yibao.synth.rosters import Rosters

TRUTH_DIR = "_truth"


def statuses_text(memberships: pd.DataFrame, n: int) -> pa.Array:
    """Per person, the standard statuses held, '、'-joined in the vocabulary's order ('' for none)."""
    order = {st: i for i, st in enumerate(dict.fromkeys(status_aliases().values()))}
    pid = memberships["pid"].to_numpy()
    rank = memberships["status"].map(order).to_numpy()
    sort = np.lexsort((rank, pid))
    counts = np.bincount(pid, minlength=n)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    lists = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(memberships["status"].to_numpy(dtype=object)[sort], type=pa.string())
    )
    return pc.binary_join(lists, "、")


def defect_table(
    log: pd.DataFrame, frames: dict[str, pd.DataFrame], file_of: dict[str, str], persons: pd.DataFrame
) -> pd.DataFrame:
    """The defect log with files, true keys and the value each defective cell holds as written."""
    written = np.empty(len(log), dtype=object)
    for (feed, column), idx in log.groupby(["feed", "column"], sort=True).groups.items():
        written[log.index.get_indexer(idx)] = frames[feed][column].to_numpy(dtype=object)[
            log.loc[idx, "row"] - 1
        ]
    return pd.DataFrame(
        {
            "feed": log["feed"].astype(str),
            "file": log["feed"].map(file_of).astype(str),
            "row": log["row"].astype("int64"),
            "key": persons["key"].to_numpy()[log["pid"].to_numpy()],
            "as_written": pd.array(written, dtype="str"),
            "defect": log["defect"].astype(str),
            "expect": log["defect"].map(EXPECT).astype(str),
        }
    )


def persons_table(
    persons: pd.DataFrame, held: Rosters, personal_fen: np.ndarray, pay: pd.DataFrame
) -> pa.Table:
    """The truth about every person (columns in the module docstring), as an Arrow table."""
    n = len(persons)
    pid = pay["pid"].to_numpy()
    paid = np.zeros(n, bool)
    paid[pid] = True
    paid_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    paid_date[pid] = pay["paid_date"].to_numpy()
    paid_fen = np.zeros(n, np.int64)
    paid_fen[pid] = pay["paid_fen"].to_numpy()
    household = persons["household_id"].to_numpy()

    def dates(values: object) -> pa.Array:
        return pa.array(np.asarray(values).astype("datetime64[D]"), type=pa.date32())

    return pa.table(
        {
            "id_number": pa.array(persons["id_number"].to_numpy(), type=pa.string()),
            "key": persons["key"].to_numpy(),
            "name": pa.array(persons["name"].to_numpy(), type=pa.string()),
            "sex": pa.array(np.where(persons["male"].to_numpy(), "男", "女")),
            "birth_date": dates(persons["birth_date"]),
            "town": pa.array(persons["town"]).cast(pa.string()),
            "village": pa.array(persons["village"].to_numpy(), type=pa.string()),
            "household_id": pc.if_else(household >= 0, pc.cast(pa.array(household), pa.string()), ""),
            "relation": pa.array(persons["relation"]).cast(pa.string()),
            **{c: persons[c].to_numpy() for c in ("in_register", "residence_permit", "alive")},
            "death_date": dates(persons["death_date"]),
            "moved_out": persons["moved_out"].to_numpy(),
            "move_date": dates(persons["move_date"]),
            **{c: persons[c].to_numpy() for c in ("employee_insured", "insured_elsewhere")},
            "statuses": statuses_text(held.memberships, n),
            "disability_grade": pa.array(held.grade, mask=held.grade == 0, type=pa.int64()),
            "personal_fen": personal_fen,
            "should_insure": payments.should_insure(persons),
            "paid": paid,
            "paid_date": pa.array(paid_date, type=pa.date32()),
            "paid_fen": pa.array(paid_fen, mask=~paid, type=pa.int64()),
        }
    )


def write(
    out: Path,
    persons: pd.DataFrame,
    held: Rosters,
    personal_fen: np.ndarray,
    pay: pd.DataFrame,
    defects: pd.DataFrame,
    summary: dict,
) -> None:
    """Write ``persons.parquet``, ``defects.parquet`` and ``summary.json`` (counts per feed, defect, town).

    The time spent on the two tables is added to ``summary["timings"]["truth"]``.
    """
    started = time.perf_counter()
    folder = Path(out) / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    table = persons_table(persons, held, personal_fen, pay).to_pandas(date_as_object=False)
    for column in ("disability_grade", "paid_fen"):  # nullable integers stay integers for pandas readers
        table[column] = table[column].astype("Int64")
    table.to_parquet(folder / "persons.parquet", index=False)
    defects.to_parquet(folder / "defects.parquet", index=False)
    towns = table.groupby("town", sort=False).agg(
        people=("key", "size"), should_insure=("should_insure", "sum"), paid=("paid", "sum")
    )
    summary["timings"]["truth"] = round(time.perf_counter() - started, 3)
    summary = {
        **summary,
        "defects": {k: int(v) for k, v in defects["defect"].value_counts().sort_index().items()},
        "defects_by_feed": {
            f"{f}/{d}": int(v) for (f, d), v in defects.groupby(["feed", "defect"]).size().items()
        },
        "towns": {t: {k: int(v) for k, v in row.items()} for t, row in towns.iterrows()},
        "totals": {
            "people": len(table),
            "in_register": int(table["in_register"].sum()),
            "residence_permit": int(table["residence_permit"].sum()),
            "dead": int((~table["alive"]).sum()),
            "should_insure": int(table["should_insure"].sum()),
            "paid": int(table["paid"].sum()),
            "with_status": int((table["statuses"] != "").sum()),
        },
    }
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
