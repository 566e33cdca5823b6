"""Warehouse and tax-exchange schema migrations (Alembic): the head revision is the schema in
``yibao.storage``; a warehouse of the previous schema (before bill_versions.superseded_by and
tsjf_bills.prev_version), made by Alembic or by the old ``create_all``, keeps its data through the upgrade
and the pipeline runs on it. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from yibao import migrations, pipeline, storage, synth

NOW = dt.datetime(2023, 11, 1, 8, tzinfo=dt.UTC)
OLD_BILL = "TS1408232024OLD00001"


def test_the_head_revision_is_the_schema_the_code_uses(settings):
    for url, metadata, init in ((settings.warehouse_url, storage.metadata, storage.init_db),
                                (settings.tax_exchange_url, storage.exchange_metadata, storage.init_exchange)):
        engine = storage.engine(url)
        init(engine)
        init(engine)  # idempotent
        ours = set(metadata.tables)  # not the version tables, nor the other schema's on a shared database
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": lambda name, kind, parent, ours=ours: (
                kind != "table" or name in ours)})
            assert compare_metadata(context, metadata) == []
        engine.dispose()


def test_head_is_alembics_head():
    """:func:`migrations.head` (the shortcut that skips Alembic on an up-to-date database) agrees with Alembic."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations.VERSIONS.parent))
    script = ScriptDirectory.from_config(config)
    assert {schema: migrations.head(schema) for schema in migrations.SCHEMAS} == {
        schema: script.get_revision(f"{schema}@head").revision for schema in migrations.SCHEMAS}


def _previous_schema_with_data(settings, made_by: str) -> None:
    """The schema of the release before the money path, holding one pushed bill in two versions."""
    warehouse, exchange = storage.engine(settings.warehouse_url), storage.engine(settings.tax_exchange_url)
    migrations.upgrade(warehouse, "warehouse", "w0001")
    migrations.upgrade(exchange, "exchange", "x0001")
    with warehouse.begin() as conn:
        conn.execute(sa.text("INSERT INTO bills (bill_no, county, year, person_key, id_number, name, town, category,"
                             " clause, subsidy_fen, personal_fen, funds, basis, content_hash, version, status, run_id)"
                             " VALUES (:b, 'wenxi-2024', 2024, 1, '140823195001011236', '王五', '桐城镇', '特困人员',"
                             " 'c1', 38000, 0, '{\"medical_assistance\": 38000}', 'x', 'h2', 2, 'active', 'old')"),
                     {"b": OLD_BILL})
        for version, change in ((1, "new"), (2, "amended")):
            conn.execute(sa.text("INSERT INTO bill_versions VALUES (:b, :v, :c, :h, 38000, 'old', :t, :t)"),
                         {"b": OLD_BILL, "v": version, "c": change, "h": f"h{version}", "t": NOW})
        conn.execute(sa.text("INSERT INTO feed_loads (run_id, county, feed, files, sha256, rows_read, rows_rejected,"
                             " status, loaded_at) VALUES ('old', 'wenxi-2024', 'f', 1, 'abc', 10, 0, 'ok', :t)"),
                     {"t": NOW})
        conn.execute(sa.text("INSERT INTO coverage_daily VALUES ('wenxi-2024', '2023-11-01', '桐城镇', 100, 90, 45,"
                             " 45, 0, 5, 4, 0, 1, 'old')"))
        if made_by == "create_all":
            conn.execute(sa.text("DROP TABLE alembic_version"))
    with exchange.begin() as conn:
        for version, change in ((1, "new"), (2, "amended")):
            conn.execute(sa.text("INSERT INTO tsjf_bills VALUES (:b, :v, :c, '140823', 2024, '140823195001011236',"
                                 " '王五', '特困人员', 380.00, 0, '医疗救助资金', :t)"),
                         {"b": OLD_BILL, "v": version, "c": change, "t": NOW})
        if made_by == "create_all":
            conn.execute(sa.text("DROP TABLE alembic_version_exchange"))
    for engine in (warehouse, exchange):
        engine.dispose()


@pytest.mark.parametrize("made_by", ["alembic", "create_all"])
def test_a_warehouse_of_the_previous_schema_keeps_its_data_and_the_pipeline_runs_on_it(settings, made_by,
                                                                                        tmp_path):
    _previous_schema_with_data(settings, made_by)
    inbox = tmp_path / "inbox"
    synth.generate("wenxi-2024", 600, 31, inbox, as_of=dt.date(2023, 12, 25))
    summary = pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=dt.date(2023, 12, 25))

    assert summary["bills"]["new"] > 0 and summary["bills"]["cancelled"] == 1  # the old bill: nobody's now
    warehouse, exchange = storage.engine(settings.warehouse_url), storage.engine(settings.tax_exchange_url)
    with warehouse.connect() as conn:
        versions = conn.execute(sa.select(storage.bill_versions.c.version, storage.bill_versions.c.change,
                                          storage.bill_versions.c.superseded_by)
                                .where(storage.bill_versions.c.bill_no == OLD_BILL)
                                .order_by(storage.bill_versions.c.version)).all()
        assert [tuple(v) for v in versions] == [(1, "new", None), (2, "amended", None), (3, "cancelled", None)]
        assert conn.execute(sa.select(sa.func.count()).where(storage.feed_loads.c.run_id == "old")).scalar() == 1
        assert conn.execute(sa.select(storage.coverage_daily.c.paid)
                            .where(storage.coverage_daily.c.run_id == "old")).scalar() == 45
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == migrations.head("warehouse")
    with exchange.connect() as conn:
        sent = conn.execute(sa.select(storage.tax_bills.c.version, storage.tax_bills.c.prev_version)
                            .where(storage.tax_bills.c.bill_no == OLD_BILL)
                            .order_by(storage.tax_bills.c.version)).all()
        assert [tuple(s) for s in sent] == [(1, 0), (2, 1), (3, 2)]  # old rows filled; the cancellation pushed
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version_exchange")).scalar() == "x0002"
    for engine in (warehouse, exchange):
        engine.dispose()
