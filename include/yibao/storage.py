"""Warehouse and tax-exchange schemas (SQLAlchemy Core) and safe publishing of files.

SQLite is the embedded default and PostgreSQL the production database; both run the same statements.
Files are published by write-to-temp, audit, then atomic rename, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa

metadata = sa.MetaData()

feed_loads = sa.Table(
    "feed_loads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
)

# Every file seen for a feed in a run: read ("used"), an older drop kept landed but not read
# ("superseded"), or not taken at all ("refused": symlink, hidden, outside the inbox) with the reason.
feed_files = sa.Table(
    "feed_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("size", sa.BigInteger),
    sa.Column("arrived_at", sa.DateTime(timezone=True)),
    sa.Column("reason", sa.Text),
    sa.Index("ix_feed_files_county_feed", "county", "feed"),
)

rejections = sa.Table(
    "rejections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("id_masked", sa.String(32)),
    sa.Column("town", sa.String(64)),
    sa.Column("reason_codes", sa.Text, nullable=False),
    sa.Column("reason_text", sa.Text, nullable=False),
    sa.Column("suggested_id_masked", sa.String(32)),  # the register ID this row probably meant
    sa.Index("ix_rejections_county_feed", "county", "feed"),
)

bills = sa.Table(
    "bills",
    metadata,
    sa.Column("bill_no", sa.String(40), primary_key=True),
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("person_key", sa.BigInteger, nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("town", sa.String(64)),
    sa.Column("category", sa.Text),
    sa.Column("clause", sa.String(64)),
    sa.Column("subsidy_fen", sa.BigInteger, nullable=False),
    sa.Column("personal_fen", sa.BigInteger, nullable=False),
    sa.Column("funds", sa.Text, nullable=False),
    sa.Column("basis", sa.Text),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Index("ix_bills_county_year", "county", "year"),
)

bill_versions = sa.Table(
    "bill_versions",
    metadata,
    sa.Column("bill_no", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("change", sa.String(16), nullable=False),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("subsidy_fen", sa.BigInteger, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pushed_at", sa.DateTime(timezone=True)),
)

coverage_by_town = sa.Table(
    "coverage_by_town",
    metadata,
    sa.Column("county", sa.String(32), primary_key=True),
    sa.Column("town", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("task_population", sa.Integer),
    sa.Column("should_insure", sa.Integer, nullable=False),
    sa.Column("paid", sa.Integer, nullable=False),
    sa.Column("gap", sa.Integer, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
)

# One snapshot of the aggregates per run date, so the campaign's trend survives reruns and corrections:
# rerunning a day replaces that day's rows only.
coverage_daily = sa.Table(
    "coverage_daily",
    metadata,
    sa.Column("county", sa.String(32), primary_key=True),
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("town", sa.String(64), primary_key=True),
    sa.Column("task_population", sa.Integer),
    sa.Column("should_insure", sa.Integer, nullable=False),
    sa.Column("paid", sa.Integer, nullable=False),
    sa.Column("gap", sa.Integer, nullable=False),
    sa.Column("late", sa.Integer, nullable=False),
    sa.Column("assisted_should", sa.Integer, nullable=False),
    sa.Column("assisted_paid", sa.Integer, nullable=False),
    sa.Column("excluded", sa.Integer, nullable=False),
    sa.Column("partial_households", sa.Integer, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
)

status_daily = sa.Table(
    "status_daily",
    metadata,
    sa.Column("county", sa.String(32), primary_key=True),
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("persons", sa.Integer, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
)

# The tax side's front-end exchange table (特殊缴费单据): append-only, one row per bill version.
exchange_metadata = sa.MetaData()
tax_bills = sa.Table(
    "tsjf_bills",
    exchange_metadata,
    sa.Column("bill_no", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("change", sa.String(16), nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("category", sa.Text),
    sa.Column("subsidy", sa.Numeric(12, 2), nullable=False),
    sa.Column("personal", sa.Numeric(12, 2), nullable=False),
    sa.Column("funds", sa.Text, nullable=False),
    sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
)


def engine(url: str) -> sa.Engine:
    """An engine for a warehouse URL; SQLite files get their folder created."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url)


def chunks(items: list, size: int = 500):
    """Slices of ``items`` short enough for an ``IN (...)`` list on every database."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` (columns named as the table's) as native Python values, NULL for NA."""
    if frame.empty:
        return 0
    native = frame.astype(object).where(frame.notna(), None)
    columns = list(native.columns)
    records = [dict(zip(columns, row, strict=True)) for row in zip(*(native[c].tolist() for c in columns), strict=True)]
    conn.execute(sa.insert(table), records)
    return len(records)


def init_db(warehouse: sa.Engine, exchange: sa.Engine) -> None:
    """Create every table that does not exist yet (idempotent)."""
    metadata.create_all(warehouse)
    exchange_metadata.create_all(exchange)


def publish_parquet(frame: pd.DataFrame, path: Path, audit: Callable[[pd.DataFrame], None] | None = None) -> Path:
    """Audit ``frame``, write it next to ``path``, check what was written, then atomically replace ``path``."""
    if audit is not None:
        audit(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        written = pq.read_metadata(tmp).num_rows
        if written != len(frame):
            raise RuntimeError(f"{path.name}: 写入 {written} 行，应为 {len(frame)} 行")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path
