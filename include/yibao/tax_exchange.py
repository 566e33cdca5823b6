"""Push bill versions to the tax side's front-end exchange table (特殊缴费单据), exactly once.

Exchange contract (``tsjf_bills``, append-only, key ``bill_no`` + ``version``):

* A row is the **whole current content** of a bill at ``version``; ``prev_version`` is the version of
  the same bill the tax side already had (0: none). Tax applies a row on top of ``prev_version``.
* **Supersession, stated**: versions between ``prev_version`` and ``version`` were never sent and never
  will be; the row supersedes them. A bill changed twice while the exchange was down reaches tax once, as
  its latest content, with ``prev_version`` saying what it replaces. The warehouse records such versions
  as ``superseded_by`` the version sent, never as pushed: ``pushed_at`` is set only for versions the
  exchange holds.
* ``change`` is from tax's point of view: ``new`` (``prev_version`` 0), ``amended``, ``cancelled``.
  A cancellation carries zero amounts everywhere: ``subsidy`` 0.00, ``personal`` 0.00, ``funds`` ``{}``.
  It is sent even when tax never had the bill (``prev_version`` 0), so both sides end in the same state.
* Versions only go forward: a version at or below what tax has is never sent again, so a crash between
  the exchange's commit and the warehouse's marking heals on the next run without a double push.

The same contract holds for a file drop (``file://`` exchange URL, :mod:`yibao.tax_drop`): the files are
the append-only table.

Every write is set-based: the exchange rows go in through the driver's bulk path
(:func:`yibao.storage.insert_frame`: COPY on PostgreSQL), and the warehouse is marked by UPDATEs over one
staged table, so pushing 80,000 bills is a handful of statements, not 80,000 round trips.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from yibao import storage
from yibao.errors import UserError
from yibao.money import fen_to_yuan, yuan_series
from yibao.storage import bill_versions, bills, tax_bills
from yibao.tax_drop import FileDrop

FEW_BILLS = 5_000  # pending bills looked up one by one on the exchange; more: the county read at once
# what the push and the approval summary read of each pending bill (every column read costs: 52k values)
PENDING_COLUMNS = ["bill_no", "version", "status", "id_number", "name", "town", "category", "subsidy_fen",
                   "personal_fen", "funds"]


class ExchangeUnavailable(UserError):
    """The tax side's front-end database cannot be reached: only the stages that talk to it fail."""


def describe(url: str) -> str:
    """Where the exchange is, for messages: host/port/db, never the password."""
    if url.startswith("file://"):
        return f"文件目录 {url.removeprefix('file://')}"
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite/{parsed.database}"
    return f"{parsed.host or 'localhost'}/{parsed.port or 5432}/{parsed.database or ''}"


def unavailable(url: str, exc: BaseException) -> ExchangeUnavailable:
    """The one message for an exchange outage; the driver's reason is kept to its first line."""
    reason = str(getattr(exc, "orig", exc) or type(exc).__name__).strip().splitlines()[0][:200]
    return ExchangeUnavailable(f"税务前置库无法连接: {describe(url)}（{reason}）")


def connect_exchange(url: str) -> sa.Engine | FileDrop:
    """An engine on the exchange with its tables ready (a :class:`FileDrop` for ``file://`` URLs), or
    :class:`ExchangeUnavailable`."""
    try:
        if url.startswith("file://"):
            folder = Path(url.removeprefix("file://"))
            folder.mkdir(parents=True, exist_ok=True)
            return FileDrop(folder)
        exchange = storage.engine(url)
        storage.init_exchange(exchange)
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise unavailable(url, exc) from None
    return exchange


def pending_versions(conn: sa.Connection, county: str, year: int) -> pd.DataFrame:
    """The current content of every bill that has a version neither pushed nor superseded, by bill number
    (sorted here, so the batch's :func:`fingerprint` does not depend on a database's collation)."""
    query = sa.select(*(bills.c[c] for c in PENDING_COLUMNS)).where(
        bills.c.county == county, bills.c.year == year, bills.c.bill_no.in_(storage.open_versions()))
    pending = storage.read_frame(conn, query, ints=("version", "subsidy_fen", "personal_fen"))
    return pending.sort_values("bill_no", ignore_index=True)


def fingerprint(pending: pd.DataFrame) -> str:
    """Identifies exactly which bill versions a batch holds: approval is for this set and no other.

    The digest of ``bill_no:version`` lines joined by newlines, built in Arrow (no Python string per bill).

    >>> fingerprint(pd.DataFrame({"bill_no": ["TS1", "TS2"], "version": [1, 3]})) == hashlib.blake2b(
    ...     b"TS1:1\\nTS2:3", digest_size=16).hexdigest()
    True
    """
    keys = pc.binary_join_element_wise(pa.array(pending["bill_no"], pa.string()),
                                       pa.array(pending["version"], pa.int64()).cast(pa.string()), ":")
    text = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(keys)], pa.int32()), keys), "\n")[0]
    return hashlib.blake2b(text.as_buffer(), digest_size=16).hexdigest()


def _tax_has(conn: sa.Connection, region_code: str, year: int, bill_nos: pd.Series) -> pd.DataFrame:
    """Versions tax holds of ``bill_nos``: looked up by key when they are few (a correction's pushes),
    else read for the whole county, which is cheaper than thousands of lookups."""
    query = sa.select(tax_bills.c.bill_no, tax_bills.c.version).where(
        tax_bills.c.region_code == region_code, tax_bills.c.year == year)
    if len(bill_nos) <= FEW_BILLS:
        query = query.where(tax_bills.c.bill_no.in_(bill_nos.tolist()))
    return storage.read_frame(conn, query, ints=("version",))


def _funds_for_tax(funds: pd.Series, fund_names: dict[str, str]) -> pd.Series:
    """Fund JSON as the tax side reads it: Chinese fund names and yuan strings (one rendering per split)."""
    rendered = {
        text: json.dumps({fund_names.get(k, k): str(fen_to_yuan(v)) for k, v in json.loads(text).items()},
                         ensure_ascii=False, sort_keys=True)
        for text in funds.unique().tolist()
    }
    return funds.map(rendered)


def exchange_rows(send: pd.DataFrame, region_code: str, year: int, fund_names: dict[str, str]) -> pd.DataFrame:
    """The rows tax receives for ``send`` (pending bills merged with ``prev_version``), yuan as text."""
    cancelled = send["status"] == "cancelled"
    change = pd.Series("amended", index=send.index, dtype="str")
    change[send["prev_version"] == 0] = "new"
    change[cancelled] = "cancelled"
    return pd.DataFrame({
        "bill_no": send["bill_no"],
        "version": send["version"].astype("int64"),
        "change": change,
        "region_code": region_code,
        "year": year,
        "id_number": send["id_number"],
        "name": send["name"],
        "category": send["category"],
        "subsidy": yuan_series(send["subsidy_fen"].where(~cancelled, 0)),
        "personal": yuan_series(send["personal_fen"].where(~cancelled, 0)),
        "funds": _funds_for_tax(send["funds"].where(~cancelled, "{}"), fund_names),
        "prev_version": send["prev_version"].astype("int64"),
    })


def _mark(conn: sa.Connection, held: pd.DataFrame, now: dt.datetime) -> int:
    """Mark the open versions of the pushed bills: pushed where the exchange holds that version, else
    superseded by the next version it holds (two set-based UPDATEs over the staged ``held`` pairs)."""
    staged = storage.stage_frame(conn, held, key=("bill_no", "version"))
    key = sa.tuple_(bill_versions.c.bill_no, bill_versions.c.version)
    is_open = sa.and_(bill_versions.c.pushed_at.is_(None), bill_versions.c.superseded_by.is_(None))
    conn.execute(sa.update(bill_versions).where(is_open, key.in_(sa.select(staged.c.bill_no, staged.c.version)))
                 .values(pushed_at=now))
    later = (sa.select(sa.func.min(staged.c.version))
             .where(staged.c.bill_no == bill_versions.c.bill_no, staged.c.version > bill_versions.c.version)
             .scalar_subquery())
    superseded = conn.execute(sa.update(bill_versions).where(
        is_open, bill_versions.c.bill_no.in_(sa.select(staged.c.bill_no)), later.is_not(None)
    ).values(superseded_by=later)).rowcount
    storage.drop_staged(conn, staged)
    return superseded


def _to_send(todo: pd.DataFrame, has: pd.DataFrame) -> pd.DataFrame:
    """Pending bills whose latest version tax does not have, with the version it has (``prev_version``)."""
    latest = has.groupby("bill_no", as_index=False)["version"].max().rename(columns={"version": "prev_version"})
    merged = todo.merge(latest, on="bill_no", how="left")
    merged["prev_version"] = merged["prev_version"].fillna(0).astype("int64")
    return merged[merged["version"] > merged["prev_version"]]


def push(
    warehouse: sa.Engine, exchange: sa.Engine | FileDrop, county: str, region_code: str, year: int, fund_names: dict[str, str],
    *, exchange_url: str = "", expected: str | None = None, todo: pd.DataFrame | None = None,
) -> dict[str, int]:
    """Send the latest version of every pending bill that tax does not have yet, then mark the warehouse.

    ``expected`` is the approved batch's :func:`fingerprint`: when given, a pending set that differs from
    it is refused (something changed after approval). An unreachable exchange raises
    :class:`ExchangeUnavailable` and marks nothing. ``todo`` is :func:`pending_versions` when the caller
    has just read it under the county lock (so nothing can have changed since).
    """
    if todo is None:
        with warehouse.connect() as conn:
            todo = pending_versions(conn, county, year)
    if todo.empty:
        return {"pushed": 0, "already_present": 0, "superseded": 0, "pending": 0}
    if expected is not None and fingerprint(todo) != expected:
        raise UserError("待推送单据与已审批批次不一致（审批后单据又有变化），请重新审批")
    now = dt.datetime.now(dt.UTC)
    try:
        if isinstance(exchange, FileDrop):
            has = exchange.has(region_code, year)
            send = _to_send(todo, has)
            if len(send):
                exchange.append(exchange_rows(send, region_code, year, fund_names), region_code, year, now)
        else:
            with exchange.begin() as conn:
                has = _tax_has(conn, region_code, year, todo["bill_no"])
                send = _to_send(todo, has)
                if len(send):
                    storage.insert_frame(conn, tax_bills, exchange_rows(send, region_code, year, fund_names).assign(pushed_at=now))
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise unavailable(exchange_url or str(getattr(exchange, "url", exchange)), exc) from None
    held = pd.concat([has.merge(todo[["bill_no"]], on="bill_no"), send[["bill_no", "version"]]], ignore_index=True)
    with warehouse.begin() as conn:
        superseded = _mark(conn, held.drop_duplicates(), now)
    return {"pushed": len(send), "already_present": len(todo) - len(send), "superseded": superseded, "pending": 0}
