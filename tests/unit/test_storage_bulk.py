"""The bulk writer every stage uses: what goes in comes back, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from yibao import storage

TABLE = sa.Table(
    "bulk_probe", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text),
    sa.Column("amount_fen", sa.BigInteger),
    sa.Column("yuan", sa.Numeric(12, 2)),
    sa.Column("ok", sa.Boolean),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("on", sa.Date),
)


def test_rows_round_trip_with_nulls_quotes_and_types(db_urls):
    engine = storage.engine(db_urls[0])
    TABLE.create(engine, checkfirst=True)
    at = dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)
    # a string column whose first Arrow chunk is empty (pd.concat of an empty frame) once made the CSV
    # writer emit NUL bytes: the rows must still arrive intact
    frame = pd.concat([pd.DataFrame({"name": pd.Series([], dtype="str")}), pd.DataFrame({
        "name": pd.Series(['张三,"引号"\n换行', "", None], dtype="str")})], ignore_index=True)
    frame = frame.assign(amount_fen=[1, -2, 3_000_000_000], yuan=[Decimal("1.05"), Decimal(0), None],
                         ok=[True, False, True], at=[at, at, None], on=[dt.date(2024, 1, 1), None, dt.date(2023, 12, 31)])
    try:
        with engine.begin() as conn:
            assert storage.insert_frame(conn, TABLE, frame) == 3
            rows = conn.execute(sa.select(TABLE).order_by(TABLE.c.id)).all()
    finally:
        TABLE.drop(engine)
    assert [r.name for r in rows] == ['张三,"引号"\n换行', "", None]
    assert [r.amount_fen for r in rows] == [1, -2, 3_000_000_000]
    assert [r.yuan for r in rows] == [Decimal("1.05"), Decimal("0.00"), None]
    assert [r.ok for r in rows] == [True, False, True]
    assert rows[0].at.replace(tzinfo=dt.UTC) == at and rows[2].at is None
    assert [r.on for r in rows] == [dt.date(2024, 1, 1), None, dt.date(2023, 12, 31)]


def test_staged_frames_keep_integers_and_text(db_urls):
    engine = storage.engine(db_urls[0])
    frame = pd.DataFrame({"bill_no": pd.Series(["A", "B"], dtype="str"), "version": [1, 2]})
    with engine.begin() as conn:
        staged = storage.stage_frame(conn, frame, key=("bill_no",))
        rows = conn.execute(sa.select(staged.c.bill_no, staged.c.version + 1).order_by(staged.c.bill_no)).all()
    assert [tuple(r) for r in rows] == [("A", 2), ("B", 3)]


def test_a_sqlite_warehouse_stages_in_memory_and_commits_without_fsync(tmp_path):
    """Staged tables (52k bills on a push) go to no temporary file; WAL commits wait for no fsync."""
    with storage.engine(f"sqlite:///{tmp_path / 'w.db'}").connect() as conn:
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
