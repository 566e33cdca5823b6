"""Pull a department's table (or query) from its 前置库 into landing, like a file drop.

Some departments publish to a table on a front-end database instead of sending a file. The rows are
read through SQLAlchemy in chunks and written as a UTF-8 CSV snapshot under its SHA-256 in landing —
the same immutable, content-addressed copy a file gets — so reading, the quality gate, staging and the
feedback workbook (whose columns are the table's) treat it exactly like a drop. An unchanged table
gives the same hash. Messages never carry the connection URL (it may hold a password) nor any cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
from pathlib import Path
from urllib.parse import unquote

import sqlalchemy as sa

from yibao.landing import LandedFile, Landing
from yibao.readers import FeedError, excel_text
from yibao.sources import Source

CHUNK_ROWS = 50_000


def env_name(conn_id: str) -> str:
    """The CLI's way to name a connection: ``YIBAO_CONN_<ID>`` holds its SQLAlchemy URL.

    >>> env_name("canlian-qianzhi")
    'YIBAO_CONN_CANLIAN_QIANZHI'
    """
    return "YIBAO_CONN_" + re.sub(r"\W", "_", conn_id).upper()


def sqlalchemy_url(uri: str) -> str:
    """An Airflow connection URI as SQLAlchemy wants it (Airflow writes ``postgres://`` and percent-encodes
    a SQLite file path).

    >>> sqlalchemy_url("postgres://u:p@db:5432/qz"), sqlalchemy_url("sqlite:///%2Ftmp%2Fx.db")
    ('postgresql+psycopg2://u:p@db:5432/qz', 'sqlite:////tmp/x.db')
    """
    if uri.startswith("sqlite:///"):
        return "sqlite:///" + unquote(uri.removeprefix("sqlite:///"))
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg2://", uri)


def _statement(source: Source) -> sa.Executable:
    if source.query:
        return sa.text(source.query)
    schema, _, name = source.table.rpartition(".")
    return sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))


def _cell(value: object) -> str:
    """A database value as the text a clerk would see; line breaks become spaces (one row, one line)."""
    text = value if isinstance(value, str) else excel_text(value)
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def pull(source: Source, url: str | None, landing_dir: Path) -> Landing:
    """Read the feed's table or query and land it as ``<landing>/<feed>/<sha256>.csv``."""
    where = f"{source.department}前置库（连接 {source.connection}）"
    url = url or os.environ.get(env_name(source.connection))
    if not url:
        raise FeedError(f"{where} 未配置：请在 Airflow 中添加该连接，或设置环境变量 {env_name(source.connection)}")
    folder = landing_dir / source.id
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".pull.{os.getpid()}.tmp"
    digest, size = hashlib.sha256(), 0
    engine = sa.create_engine(sqlalchemy_url(url), hide_parameters=True)  # no cells in its errors
    try:
        with engine.connect() as conn, tmp.open("wb") as out:
            result = conn.execution_options(stream_results=True).execute(_statement(source))
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            columns = result.keys()
            writer.writerow([str(c) for c in columns])
            while True:
                rows = result.fetchmany(CHUNK_ROWS)
                writer.writerows([[_cell(v) for v in row] for row in rows])
                data = buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                digest.update(data)
                size += out.write(data)
                if not rows:
                    break
    except sa.exc.SQLAlchemyError as exc:
        tmp.unlink(missing_ok=True)
        raise FeedError(f"{where} 读取失败：{type(exc).__name__}，请检查连接和表名") from None
    finally:
        engine.dispose()
    target = folder / f"{digest.hexdigest()}.csv"
    if target.exists():
        tmp.unlink()
    else:
        tmp.chmod(0o444)
        tmp.replace(target)
    name = f"前置库/{source.connection}/{source.table or 'query'}"
    landed = LandedFile(source.id, name, target, digest.hexdigest(), size, dt.datetime.now(dt.UTC))
    return Landing(used=[landed])
