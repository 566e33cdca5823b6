"""One run at a time per county: a lock held in the warehouse around every stage that writes.

Airflow's ``max_active_runs`` cannot see ``yibao pipeline run`` or a manual rerun of another DAG, so the
lock lives where both write. On PostgreSQL it is a session advisory lock (the holder is named by its
``application_name``; a crashed holder's session ends and the server releases the lock). On SQLite it is a
row in ``run_locks`` with holder, pid and heartbeat; a row whose heartbeat is stale, or whose process on
this host is gone, belongs to a crashed holder and is taken over.

The lock is re-entrant per thread: ``pipeline.run`` holds it for the whole day and the stages inside it
pass through. A second run waits up to ``Settings.lock_wait_seconds`` and then refuses with
:class:`RunLocked`, naming the holder.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from yibao import redaction
from yibao.errors import UserError
from yibao.settings import Settings

POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0  # a SQLite holder silent this long has crashed (heartbeat every HEARTBEAT_SECONDS)

lock_metadata = sa.MetaData()
run_locks = sa.Table(
    "run_locks",
    lock_metadata,
    sa.Column("county", sa.String(32), primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
)

_held = threading.local()  # county -> depth, for re-entry from the same thread


class RunLocked(UserError):
    """Another run holds this county's lock and did not let go within the wait."""


def _refusal(county: str, holder: str, since: object, waited: float) -> RunLocked:
    return RunLocked(
        f"{county} 正由另一运行处理中（持有者：{holder}，开始于 {since}），已等待 {waited:.0f} 秒，本次运行放弃；"
        f"请待其结束后重试 (another run holds the county lock)"
    )


def _advisory_key(county: str) -> int:
    """A positive 63-bit key per county for ``pg_advisory_lock`` (advisory locks belong to the database
    they are taken in, so two warehouses on one server never share a county's lock)."""
    return int.from_bytes(hashlib.blake2b(f"yibao-run:{county}".encode(), digest_size=8).digest()) >> 1


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _postgres_lock(engine: sa.Engine, county: str, holder: str, wait: float) -> Iterator[None]:
    key = _advisory_key(county)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        conn.execute(sa.text("SELECT set_config('application_name', :name, false)"), {"name": holder[:63]})
        started = time.monotonic()
        while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            if time.monotonic() - started >= wait:
                row = conn.execute(
                    sa.text(
                        "SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a"
                        " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        " AND l.classid::int8 * 4294967296 + l.objid::int8 = :k"
                    ),
                    {"k": key},
                ).first()
                raise _refusal(county, row[0] if row else "未知", row[1] if row else "?", time.monotonic() - started)
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()


def _sqlite_try(engine: sa.Engine, county: str, holder: str) -> tuple[bool, sa.Row | None]:
    """Take the row (after clearing a crashed holder's): (taken, the other holder's row if known)."""
    try:
        return _sqlite_take(engine, county, holder)
    except sa.exc.OperationalError:  # the database is busy with another writer: try again later
        return False, None


def _sqlite_take(engine: sa.Engine, county: str, holder: str) -> tuple[bool, sa.Row | None]:
    host, now = socket.gethostname(), _now()
    with engine.begin() as conn:
        row = conn.execute(sa.select(run_locks).where(run_locks.c.county == county)).first()
        if row is not None:
            stale = row.heartbeat_at.replace(tzinfo=dt.UTC) < now - dt.timedelta(seconds=STALE_SECONDS)
            if stale or (row.host == host and not _pid_alive(row.pid)):
                conn.execute(sa.delete(run_locks).where(run_locks.c.county == county,
                                                        run_locks.c.heartbeat_at == row.heartbeat_at))
            else:
                return False, row
        try:
            conn.execute(sa.insert(run_locks).values(county=county, holder=holder, host=host, pid=os.getpid(),
                                                     acquired_at=now, heartbeat_at=now))
        except sa.exc.IntegrityError:
            return False, None
    return True, None


def _sqlite_holder(engine: sa.Engine, county: str) -> sa.Row | None:
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(run_locks).where(run_locks.c.county == county)).first()
    except sa.exc.OperationalError:
        return None


@contextmanager
def _sqlite_lock(engine: sa.Engine, county: str, holder: str, wait: float) -> Iterator[None]:
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateTable(run_locks, if_not_exists=True))
    started = time.monotonic()
    while not (taken := _sqlite_try(engine, county, holder))[0]:
        if time.monotonic() - started >= wait:
            row = taken[1] or _sqlite_holder(engine, county)
            raise _refusal(county, f"{row.holder}（{row.host} 进程 {row.pid}）" if row else "未知",
                           row.acquired_at if row else "?", time.monotonic() - started)
        time.sleep(POLL_SECONDS)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                with engine.begin() as conn:
                    conn.execute(sa.update(run_locks).where(run_locks.c.county == county,
                                                            run_locks.c.pid == os.getpid()).values(heartbeat_at=_now()))
            except sa.exc.OperationalError:  # busy: the next beat comes well within STALE_SECONDS
                continue

    beater = threading.Thread(target=beat, name=f"run-lock-{county}", daemon=True)
    beater.start()
    try:
        yield
    finally:
        stop.set()
        beater.join()
        with engine.begin() as conn:
            conn.execute(sa.delete(run_locks).where(run_locks.c.county == county, run_locks.c.holder == holder,
                                                    run_locks.c.pid == os.getpid()))


@contextmanager
def county_lock(settings: Settings, holder: str) -> Iterator[None]:
    """Hold the county's run lock (re-entrant in one thread); refuse with :class:`RunLocked` after the wait."""
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    if depth.get(settings.county):
        depth[settings.county] += 1
        try:
            yield
        finally:
            depth[settings.county] -= 1
        return
    from yibao import storage

    engine = storage.engine(settings.warehouse_url)
    holder = f"{holder} pid {os.getpid()}@{socket.gethostname()}"
    lock = _postgres_lock if engine.dialect.name == "postgresql" else _sqlite_lock
    try:
        with lock(engine, settings.county, holder, settings.lock_wait_seconds):
            depth[settings.county] = 1
            try:
                yield
            finally:
                depth[settings.county] = 0
    finally:
        engine.dispose()


def adopt(county: str) -> None:
    """Let this worker thread run stages under the county lock its parent thread holds (a thread-pool
    initializer: the parent keeps the lock until the pool is done)."""
    _held.depth = {county: 1}


def locked_stage(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a stage ``fn(settings, ...)`` under the county lock, the holder named by stage and run id.
    An exception leaves the stage masked (:func:`yibao.redaction.masked`): Airflow and the CLI log it."""

    @functools.wraps(fn)
    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        holder = f"yibao {fn.__name__} {kwargs.get('run_id') or ''}".strip()
        try:
            with county_lock(settings, holder):
                return fn(settings, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure leaves masked, re-raised just below
            failure = redaction.masked(exc)
        raise failure  # outside the except block: the unmasked original is not its context

    return wrapper
