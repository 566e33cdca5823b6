"""Assisted-payment bills (特殊缴费单据): deterministic numbers, content hashes and versioned deltas.

A bill's number depends only on county, year and person, so a rerun finds the same bill; its content hash
decides whether anything changed. Only changes become new versions, and only new versions go to tax.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
import sqlalchemy as sa

from yibao import storage
from yibao.storage import bill_versions, bills

BILL_COLUMNS = [
    "bill_no", "person_key", "id_number", "name", "town", "category", "clause",
    "subsidy_fen", "personal_fen", "funds", "basis", "content_hash",
]


def _digest(text: str, size: int) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest().upper()


def bill_numbers(region_code: str, year: int, id_numbers: pd.Series) -> pd.Series:
    """``TS<region><year><16 hex>``: stable for a person, and carries no readable ID number.

    >>> bill_numbers("140823", 2024, pd.Series(["14082319800101123X"])).str.len().tolist()
    [28]
    """
    prefix = f"TS{region_code}{year}"
    return pd.Series(
        [prefix + _digest(f"{region_code}|{year}|{i}", 8) for i in id_numbers.tolist()],
        index=id_numbers.index, dtype="str",
    )


def build_bills(decided: pd.DataFrame, fund_ids: list[str], region_code: str, year: int) -> pd.DataFrame:
    """Bills for every decision with a subsidy; ``funds`` is canonical JSON of fen per fund (zeros left out)."""
    # 先缴后补 (``paid_first``): the person pays in full at collection, so no assisted bill is made.
    billed = decided["subsidy_fen"] > 0
    if "paid_first" in decided:
        billed &= ~decided["paid_first"].astype(bool)
    assisted = decided[billed].reset_index(drop=True)
    fund_cols = [f"fund_{f}_fen" for f in fund_ids]
    # Few distinct fund splits exist (one per category and age band): encode each once.
    splits = assisted[fund_cols].astype("int64")
    distinct = splits.drop_duplicates()
    encoded = {
        tuple(row): json.dumps({f: int(v) for f, v in zip(fund_ids, row, strict=True) if v},
                               sort_keys=True, separators=(",", ":"))
        for row in distinct.itertuples(index=False, name=None)
    }
    funds = [encoded[row] for row in splits.itertuples(index=False, name=None)]
    out = pd.DataFrame(
        {
            "bill_no": bill_numbers(region_code, year, assisted["id_number"]),
            "person_key": assisted["key"].astype("int64"),
            "id_number": assisted["id_number"].astype("str"),
            "name": assisted["name"].astype("str"),
            "town": assisted["town"].astype("str"),
            "category": assisted["category"].astype("str"),
            "clause": assisted["clause"].astype("str"),
            "subsidy_fen": assisted["subsidy_fen"].astype("int64"),
            "personal_fen": assisted["personal_fen"].astype("int64"),
            "funds": pd.Series(funds, dtype="str"),
            "basis": assisted["basis"].astype("str"),
        }
    )
    content = (
        out["id_number"] + "|" + out["name"] + "|" + out["category"] + "|" + out["clause"] + "|"
        + out["subsidy_fen"].astype("str") + "|" + out["personal_fen"].astype("str") + "|" + out["funds"]
    )
    out["content_hash"] = pd.Series([_digest(c, 16) for c in content.tolist()], index=out.index, dtype="str")
    return out[BILL_COLUMNS]


def diff_bills(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Classify each bill as new, amended, cancelled or unchanged against what the warehouse holds.

    ``previous`` has bill_no, content_hash, version, status. Returned rows carry ``change`` and the
    ``version`` they will have; cancelled rows carry the previous content.
    """
    # Nullable integers: a cancelled bill's row has no current values, and float64 would round person keys.
    exact = {c: "Int64" for c in ("person_key", "subsidy_fen", "personal_fen") if c in current}
    merged = current.astype(exact).merge(
        previous[["bill_no", "content_hash", "version", "status"]].rename(
            columns={"content_hash": "prev_hash", "version": "prev_version", "status": "prev_status"}
        ),
        on="bill_no",
        how="outer",
        indicator=True,
    )
    change = pd.Series("unchanged", index=merged.index, dtype="str")
    change[merged["_merge"] == "left_only"] = "new"
    both = merged["_merge"] == "both"
    change[both & ((merged["content_hash"] != merged["prev_hash"]) | (merged["prev_status"] == "cancelled"))] = "amended"
    gone = (merged["_merge"] == "right_only") & (merged["prev_status"] == "active")
    change[gone] = "cancelled"
    change[(merged["_merge"] == "right_only") & ~gone] = "gone"
    merged["change"] = change
    prev_version = merged["prev_version"].fillna(0).astype("int64")
    merged["version"] = prev_version + merged["change"].isin(["new", "amended", "cancelled"]).astype("int64")
    return merged[merged["change"] != "gone"].drop(columns=["_merge", "prev_status"]).reset_index(drop=True)


def previous_bills(conn: sa.Connection, county: str, year: int, person_keys: list[int] | None = None) -> pd.DataFrame:
    """What the warehouse holds (only these persons' bills when ``person_keys`` is given)."""
    query = sa.select(bills.c.bill_no, bills.c.content_hash, bills.c.version, bills.c.status).where(
        bills.c.county == county, bills.c.year == year)
    if person_keys is None:
        return storage.read_frame(conn, query, ints=("version",))
    frames = [storage.read_frame(conn, query.where(bills.c.person_key.in_(part)), ints=("version",))
              for part in storage.chunks(person_keys)]
    return pd.concat(frames, ignore_index=True) if frames else storage.read_frame(conn, query.where(sa.false()),
                                                                                  ints=("version",))


def record_changes(conn: sa.Connection, delta: pd.DataFrame, county: str, year: int, run_id: str) -> dict[str, int]:
    """Write new versions in the caller's transaction, set-based: bills are replaced, versions appended.

    A cancellation carries zero amounts throughout (subsidy, personal, no fund money ``{}``); its version
    row keeps the last content hash so a person who comes back is an amendment, not a new bill.
    """
    counts = {k: int((delta["change"] == k).sum()) for k in ("new", "amended", "cancelled", "unchanged")}
    changed = delta[delta["change"] != "unchanged"]
    if changed.empty:
        return counts
    is_cancelled = changed["change"] == "cancelled"
    # new and amended bills: their content is their version's content (one staged table for both)
    live = storage.stage_frame(conn, changed.loc[~is_cancelled, [*BILL_COLUMNS, "version", "change"]].astype(
        {"person_key": "int64", "subsidy_fen": "int64", "personal_fen": "int64", "version": "int64"}))
    gone = storage.stage_frame(conn, pd.DataFrame({  # cancelled: the version keeps the last content hash
        "bill_no": changed.loc[is_cancelled, "bill_no"], "version": changed.loc[is_cancelled, "version"].astype("int64"),
        "content_hash": changed.loc[is_cancelled, "prev_hash"]}))
    columns = [*BILL_COLUMNS, "version"]
    conn.execute(sa.delete(bills).where(bills.c.bill_no.in_(sa.select(live.c.bill_no))))
    conn.execute(sa.insert(bills).from_select(
        [*columns, "county", "year", "status", "run_id"],
        sa.select(*(live.c[c] for c in columns), sa.literal(county), sa.literal(year), sa.literal("active"),
                  sa.literal(run_id)),
    ))
    conn.execute(
        sa.update(bills).where(bills.c.bill_no.in_(sa.select(gone.c.bill_no)))
        .values(status="cancelled", version=bills.c.version + 1, subsidy_fen=0, personal_fen=0, funds="{}",
                run_id=run_id)
    )
    now = sa.literal(dt.datetime.now(dt.UTC), sa.DateTime(timezone=True))
    conn.execute(sa.insert(bill_versions).from_select(
        ["bill_no", "version", "change", "content_hash", "subsidy_fen", "run_id", "created_at"],
        sa.union_all(
            sa.select(live.c.bill_no, live.c.version, live.c.change, live.c.content_hash, live.c.subsidy_fen,
                      sa.literal(run_id), now),
            sa.select(gone.c.bill_no, gone.c.version, sa.literal("cancelled"), gone.c.content_hash,
                      sa.literal(0, sa.BigInteger), sa.literal(run_id), now),
        ),
    ))
    storage.drop_staged(conn, live)
    storage.drop_staged(conn, gone)
    return counts
