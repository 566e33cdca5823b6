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


def test_read_frame_gives_back_text_and_integers_as_written(db_urls):
    """Quotes, newlines, backslashes, non-BMP text, empty strings, NULLs, the text \\N and integers past
    2**53 come back as written: SQLite reads plain columns as one JSON array each, PostgreSQL as COPY's CSV
    (where NULL once came back as the text \\N)."""
    engine = storage.engine(db_urls[0])
    TABLE.create(engine, checkfirst=True)
    names = ['张三,"引号"\n换行', "", None, r"\N", "反斜杠\\u4e00 \U0001F600\t", "0123"]
    frame = pd.DataFrame({"name": pd.Series(names, dtype="str"),
                          "amount_fen": [1, -2, 2**53 + 1, 7, 0, 3_000_000_000],
                          "at": [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)] * 6})
    try:
        with engine.begin() as conn:
            storage.insert_frame(conn, TABLE, frame)
            plain = storage.read_frame(conn, sa.select(TABLE.c.id, TABLE.c.name, TABLE.c.amount_fen),
                                       ints=("id", "amount_fen")).sort_values("id", ignore_index=True)
            dated = storage.read_frame(conn, sa.select(TABLE.c.id, TABLE.c.at), ints=("id",))
            none = storage.read_frame(conn, sa.select(TABLE.c.name, TABLE.c.amount_fen).where(sa.false()),
                                      ints=("amount_fen",))
    finally:
        TABLE.drop(engine)
    assert plain["name"].tolist()[:2] == names[:2] and pd.isna(plain["name"][2])
    assert plain["name"].tolist()[3:] == names[3:]
    assert plain["amount_fen"].tolist() == [1, -2, 2**53 + 1, 7, 0, 3_000_000_000]
    assert plain["amount_fen"].dtype == "int64" and plain["name"].dtype == "str"
    assert dated["at"].str.startswith("2024-01-02 03:04:05").all()  # a converted column, read row by row
    assert none.empty and list(none.columns) == ["name", "amount_fen"] and none["amount_fen"].dtype == "int64"
