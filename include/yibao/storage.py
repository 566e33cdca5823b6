"""Warehouse and tax-exchange schemas (SQLAlchemy Core) and safe publishing of files.

SQLite is the embedded default and PostgreSQL the production database; both run the same statements.
Files are published by write-to-temp, audit, then atomic rename, so a reader never sees half a file.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.feather as pafeather
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
    # JSON: {"sheets_skipped": [...], "rows_passed_over": [...]} of an ok load (what was read around)
    sa.Column("notes", sa.Text),
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
    sa.Index("ix_rejections_row", "county", "feed", "file", "row_no"),  # suggestions are written per row
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

OPEN_VERSION = "pushed_at IS NULL AND superseded_by IS NULL"  # neither sent nor replaced by a later version sent
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
    sa.Column("pushed_at", sa.DateTime(timezone=True)),  # set only when the exchange holds this version
    sa.Column("superseded_by", sa.Integer),  # never sent: tax got this later version instead (see tax_exchange)
    sa.Index("ix_bill_versions_open", "bill_no", sqlite_where=sa.text(OPEN_VERSION),
             postgresql_where=sa.text(OPEN_VERSION)),  # what is still to send
)


def open_versions() -> sa.Select:
    """Numbers of the bills with a version neither pushed nor superseded (read off ``ix_bill_versions_open``)."""
    return sa.select(bill_versions.c.bill_no).where(bill_versions.c.pushed_at.is_(None),
                                                    bill_versions.c.superseded_by.is_(None))

# One row per batch of bill versions offered for approval before it may leave for tax.
push_batches = sa.Table(
    "push_batches",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("fingerprint", sa.String(32), nullable=False),  # exactly which bill versions (tax_exchange)
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("bills", sa.Integer, nullable=False),
    sa.Column("moved_fen", sa.BigInteger, nullable=False),  # sum of |subsidy change| against what tax has
    sa.Column("status", sa.String(16), nullable=False),  # pending approved auto_approved rejected reoffered replaced pushed
    sa.Column("previous_batch", sa.String(64)),  # the rejected batch this one re-offers
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("summary", sa.Text, nullable=False),  # JSON for the reviewer: masked IDs only
    sa.Index("ix_push_batches_county_year", "county", "year"),
)

# What tax answered about each bill version it received (read back from the exchange, replaced per read).
tax_acks = sa.Table(
    "tax_acks",
    metadata,
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("bill_no", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("result", sa.String(16), nullable=False),  # accepted | rejected
    sa.Column("reason_code", sa.String(32)),
    sa.Column("reason_text", sa.Text),  # Chinese, for the clerk
    sa.Column("acked_at", sa.Text),
    sa.Column("run_id", sa.String(64), nullable=False),
)

# Cases a person must act on (tax rejections, reconciliation findings); each kind replaced by its stage.
work_items = sa.Table(
    "work_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("county", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("bill_no", sa.String(40)),
    sa.Column("id_masked", sa.String(32)),
    sa.Column("name_masked", sa.Text),
    sa.Column("town", sa.String(64)),
    sa.Column("reason_code", sa.String(32), nullable=False),
    sa.Column("reason_text", sa.Text, nullable=False),
    sa.Column("amount_fen", sa.BigInteger),  # the money in question (e.g. what to refund or collect)
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Index("ix_work_items_county_kind", "county", "kind"),
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

# The tax side's front-end exchange tables: bills we append (特殊缴费单据, one row per version sent) and the
# acknowledgements tax writes back (one row per version it processed). See yibao.tax_exchange.
exchange_metadata = sa.MetaData()
tax_acknowledgements = sa.Table(
    "tsjf_acks",
    exchange_metadata,
    sa.Column("bill_no", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("result", sa.String(16), nullable=False),  # accepted | rejected
    sa.Column("reason_code", sa.String(32)),
    sa.Column("reason_text", sa.Text),
    sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
)
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
    sa.Column("prev_version", sa.Integer, nullable=False),  # the version tax had before this row (0: none)
    sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
)


def engine(url: str) -> sa.Engine:
    """An engine for a warehouse URL; SQLite files get their folder created (and WAL mode at init).
    Statement parameters (IDs, names) are kept out of its error messages (see yibao.redaction).

    WAL lets the UI and the checks read while a stage writes, and with ``synchronous=NORMAL`` a commit
    costs no fsync (a power cut may lose the last commits, never consistency; a rerun redoes them). Staged
    temporary tables (a push's 52k bills) stay in memory rather than in a temporary file: ~6% of a push.
    Counties served from one deployment share the file: a writer waits up to 30 s for another's commit.
    """
    if not url.startswith("sqlite:///"):
        return sa.create_engine(url, hide_parameters=True)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    created = sa.create_engine(url, hide_parameters=True, connect_args={"timeout": 30})

    @sa.event.listens_for(created, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # per connection, needs no lock
        dbapi_connection.execute("PRAGMA temp_store=MEMORY")  # staged tables (stage_frame): no temp file

    return created


def _wal(engine: sa.Engine) -> None:
    """Switch a SQLite file to WAL once (the mode is kept in the file). Switching needs the file to itself:
    when another connection is open at that moment it stays as it is, and the next init tries again."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    except sa.exc.OperationalError:
        pass


def chunks(items: list, size: int = 500):
    """Slices of ``items`` short enough for an ``IN (...)`` list on every database."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Bulk-insert ``frame`` (columns named as the table's; NA is NULL) without a Python dict per row.

    PostgreSQL gets ``COPY … FROM STDIN`` of Arrow-written CSV, which it parses into the columns' types;
    SQLite gets the DB-API ``executemany`` over plain tuples, each column passed once through the
    SQLAlchemy type's bind processor (so dates and datetimes are stored as SQLAlchemy stores them).
    """
    if frame.empty:
        return 0
    # one chunk per column: pyarrow 26's CSV writer emits NUL bytes for a column whose first chunk is empty
    arrow = pa.Table.from_pandas(frame, preserve_index=False).combine_chunks()
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            sink = pa.BufferOutputStream()
            pacsv.write_csv(arrow, sink, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
            buffer = io.BytesIO(sink.getvalue().to_pybytes())
            cursor.copy_expert(f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)', buffer)
        else:
            values = []
            for name, column in zip(frame.columns, arrow.columns, strict=True):
                process = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                values.append(_bound(column, process) if process else column.to_pylist())
            marks = ", ".join("?" * len(values))
            cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', zip(*values, strict=True))
    finally:
        cursor.close()
    return len(frame)


def _bound(column: pa.ChunkedArray, process: Callable) -> list:
    """A column's values as the driver binds them: each distinct value is converted once (a push's 52k rows
    share one timestamp, and making 52k datetimes from Arrow alone costs ~0.2 s). NULL stays NULL."""
    codes = column.combine_chunks().dictionary_encode()
    bound = np.array([*(process(v) for v in codes.dictionary.to_pylist()), None], dtype=object)
    return bound[codes.indices.fill_null(len(codes.dictionary)).to_numpy()].tolist()


def read_frame(conn: sa.Connection, query: sa.Select, ints: tuple[str, ...] = ()) -> pd.DataFrame:
    """A query's rows as a DataFrame: ``ints`` columns as int64, every other column as text (NULL → NA).
    The rows come in no guaranteed order: a caller that needs one sorts the frame (the same on every database).

    PostgreSQL streams the result with ``COPY … TO STDOUT`` into Arrow's CSV reader. SQLite hands over each
    column of plain integers and text as one JSON array (``json_group_array``: half the cost of a tuple per
    row); other columns go through SQLAlchemy's conversion, row by row, built column-wise (pandas' row-object
    path is ~20× slower).
    """
    columns = list(query.selected_columns.keys())
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        buffer = io.BytesIO()
        with conn.connection.dbapi_connection.cursor() as cursor:
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, NULL '\\N')", buffer)
        # Arrow's reader itself: pandas' pyarrow engine ignores ``na_values`` (NULL came back as the text \N).
        # PostgreSQL quotes a value that reads \N, so only the unquoted marker is NULL.
        buffer.seek(0)
        frame = pacsv.read_csv(buffer, pacsv.ReadOptions(column_names=columns), convert_options=pacsv.ConvertOptions(
            column_types={c: pa.int64() if c in ints else pa.string() for c in columns}, null_values=["\\N"],
            strings_can_be_null=True, quoted_strings_can_be_null=False)).to_pandas() if buffer.getbuffer().nbytes else None
    else:
        if all(_json_plain(c.type, conn.dialect) for c in query.selected_columns):
            rows = query.subquery()
            texts = conn.execute(sa.select(*(sa.func.json_group_array(rows.c[c]) for c in columns))).one()
            values = [json.loads(text) for text in texts]
        else:
            values = list(zip(*conn.execute(query).all(), strict=True))
        frame = pa.table([_arrow_column(v, c in ints) for c, v in zip(columns, values, strict=True)],
                         names=columns).to_pandas() if values and len(values[0]) else None
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    return frame.astype({c: ("int64" if c in ints else "str") for c in columns})


def _json_plain(kind: sa.types.TypeEngine, dialect: sa.Dialect) -> bool:
    """Integers and text the driver returns as they are: these survive a JSON array unchanged."""
    return isinstance(kind, sa.Integer | sa.String) and not kind.dialect_impl(dialect).result_processor(dialect, None)


def _arrow_column(values: list | tuple, as_int: bool) -> pa.Array:
    """A fetched column in Arrow: the driver's ints or text as they are (NULL text is NA), anything else
    converted as pandas converts it (``str`` of the value; a NULL integer fails as it does there)."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    if array is not None and (pa.types.is_integer(array.type) if as_int and not array.null_count
                              else pa.types.is_string(array.type) or pa.types.is_null(array.type)):
        return array
    return pa.array(pd.Series(values, dtype=object).astype("int64" if as_int else "str"))


_TEMP_TYPES = {"int64": sa.BigInteger, "Int64": sa.BigInteger, "bool": sa.Boolean}


def stage_frame(conn: sa.Connection, frame: pd.DataFrame, key: tuple[str, ...] = ()) -> sa.Table:
    """Bulk-load ``frame`` (:func:`insert_frame`) into a new temporary table, for INSERT…SELECT / UPDATE…FROM.

    Integer and boolean columns keep their type, the rest is text. The caller drops the table
    (:func:`drop_staged`) or lets the session end.
    """
    temp = sa.Table(
        f"tmp_{uuid.uuid4().hex[:12]}", sa.MetaData(),
        *(sa.Column(c, _TEMP_TYPES.get(str(frame[c].dtype), sa.Text), primary_key=c in key) for c in frame.columns),
        prefixes=["TEMPORARY"],
    )
    temp.create(conn)
    insert_frame(conn, temp, frame)
    if conn.dialect.name == "postgresql" and len(frame):
        conn.execute(sa.text(f"ANALYZE {temp.name}"))  # row counts for the planner (temp tables have none)
    return temp


def drop_staged(conn: sa.Connection, temp: sa.Table) -> None:
    temp.drop(conn)


def init_db(warehouse: sa.Engine) -> None:
    """Bring the warehouse to the current schema (idempotent): Alembic revisions in ``yibao/migrations``,
    so an existing warehouse keeps its data. The tax exchange is another system: its tables are prepared
    by the push (:func:`init_exchange`), so a tax outage stops only that. The tables above must match the
    head revision (tests/unit/test_migrations.py checks)."""
    from yibao import migrations

    _wal(warehouse)
    migrations.upgrade(warehouse, "warehouse")


def init_exchange(exchange: sa.Engine) -> None:
    from yibao import migrations

    _wal(exchange)
    migrations.upgrade(exchange, "exchange")


def publish_frame(frame: pd.DataFrame | pa.Table, path: Path,
                  audit: Callable[[pd.DataFrame], None] | None = None) -> Path:
    """Audit ``frame``, write it next to ``path``, check what was written, then atomically replace ``path``.
    An Arrow table (a patched published table) is written as it is, without a round trip through pandas.

    Stage tables are uncompressed Arrow IPC files: written and memory-mapped back at disk speed (Parquet's
    encoding cost ~10× more per stage), with pandas' dtypes kept. Disk is cheap beside the daily chain's time.
    """
    if audit is not None:
        audit(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        if isinstance(frame, pa.Table):
            pafeather.write_feather(frame, tmp, compression="uncompressed")
        else:
            frame.to_feather(tmp, compression="uncompressed")
        with pa.memory_map(str(tmp)) as source:
            written = pa.ipc.open_file(source).read_all().num_rows
        if written != len(frame):
            raise RuntimeError(f"{path.name}: 写入 {written} 行，应为 {len(frame)} 行")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace_retiring(tmp, path)
    return path


_RETIRED = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="retire")


def _replace_retiring(new: Path, path: Path) -> None:
    """``os.replace(new, path)``, with the replaced file's blocks freed on a background thread: unlinking a
    written-back file of 100 MB takes ~70 ms on ext4 mounted with ``discard`` (as on this project's VMs), and
    the stage need not wait for it. The old file is first hard-linked aside (``path`` is never missing);
    the interpreter waits for the thread at exit."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.old")
    try:
        os.link(path, aside)
    except OSError:  # no old file (or no hard links here): a plain replace
        os.replace(new, path)
        return
    os.replace(new, path)
    _RETIRED.submit(aside.unlink, missing_ok=True)


LEFTOVER_AGE = 6 * 3600  # seconds: no write of one file or folder takes this long, so an aside this old is orphaned


def sweep_leftovers(folders: list[Path], *, now: float | None = None) -> int:
    """Remove the asides (``.<name>…tmp`` written before a publish, ``.<name>…old`` retired after it, files
    or whole folders) that a killed process left in ``folders``, once they are :data:`LEFTOVER_AGE` old;
    returns how many.

    A process killed mid-publish (out of memory, a task timeout) never reaches its cleanup, and a stage's
    aside file can be hundreds of MB. Age, not the writer's process id, decides: a worker on another host
    sharing the folders has process ids this host cannot see. A ``.old`` retired a moment ago keeps its
    file's old time and may go before its own cleanup does: harmless, that cleanup tolerates it and a
    reader keeps what it opened. A ``.tmp`` is new when written, so no write under way is touched.
    """
    cutoff = (time.time() if now is None else now) - LEFTOVER_AGE
    removed = 0
    for folder in folders:
        for parent, dirs, files in os.walk(folder):
            for name in [n for n in (*dirs, *files) if n.startswith(".") and n.endswith((".tmp", ".old"))]:
                path = Path(parent, name)
                try:
                    info = path.lstat()
                except FileNotFoundError:  # its own cleanup (the retiring thread) got there first
                    continue
                if info.st_mtime < cutoff and not stat.S_ISLNK(info.st_mode):
                    if name in dirs:
                        shutil.rmtree(path, ignore_errors=True)
                        dirs.remove(name)  # not walked into
                    else:
                        path.unlink(missing_ok=True)
                    removed += 1
    return removed


def read_staged_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A published stage table as Arrow, memory-mapped: only the columns asked for are touched.

    The whole file is opened without reading anything and the columns are selected after: pyarrow's own
    column selection (``included_fields``) reads every batch's full body, 2–4× the memory of the columns.
    """
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    return table if columns is None else table.select(columns)


def take_rows(table: pa.Table, values: np.ndarray | list, columns: list[str] | None = None, by: str = "key",
              ) -> pd.DataFrame:
    """Rows of a table whose ``by`` is among ``values``, in the table's order: filtered in Arrow, so only
    those rows become pandas objects."""
    wanted = pc.is_in(table[by], value_set=pa.array(values, type=table.schema.field(by).type))
    return (table.select(columns) if columns else table).filter(wanted).to_pandas()


def read_staged(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A published stage table as pandas, with the dtypes it was published with."""
    return read_staged_table(path, columns).to_pandas()


def staged_rows(path: Path) -> int:
    """The row count of a published stage table, from its batches' headers."""
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


def staged_columns(path: Path) -> list[str]:
    """The column names of a published stage table, without reading it."""
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).schema.names
