"""Schema migrations (Alembic) of the warehouse and of the tax exchange, so a county upgrading mid-campaign
keeps its data. Each schema is its own branch with its own version table (the exchange may be another
database, or the same one). Revisions live in ``versions/``: ``w…`` warehouse, ``x…`` exchange.

:func:`upgrade` brings a database to the head of its branch: a fresh one runs every revision; one made by
``create_all`` before Alembic (tables but no version table) is stamped at the branch's first revision,
whose schema it has at least, and the later revisions skip what it already holds.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

#: schema → (version table, first revision, a table every database of that schema has)
SCHEMAS = {"warehouse": ("alembic_version", "w0001", "feed_loads"),
           "exchange": ("alembic_version_exchange", "x0001", "tsjf_bills")}
VERSIONS = Path(__file__).parent / "versions"


def head(schema: str) -> str:
    """The branch's head revision: revision ids are their files' numbered prefixes (``w0002_….py``), each
    revising the one before (tests/unit/test_migrations.py checks this against Alembic's own view)."""
    letter = SCHEMAS[schema][1][0]
    return max(path.name[:5] for path in VERSIONS.glob(f"{letter}[0-9][0-9][0-9][0-9]_*.py"))


def _at_head(engine: sa.Engine, schema: str) -> bool:
    """Is the database already at the head (the daily case)? Then Alembic need not even be imported."""
    version_table = SCHEMAS[schema][0]
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(version_table):
            return False
        return conn.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalars().all() == [head(schema)]


def upgrade(engine: sa.Engine, schema: str, revision: str = "head") -> None:
    """Migrate ``schema`` ("warehouse" or "exchange") on ``engine`` to ``revision`` (default: head)."""
    if revision == "head" and _at_head(engine, schema):
        return
    from alembic import command
    from alembic.config import Config

    version_table, first, marker = SCHEMAS[schema]
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    with engine.begin() as conn:
        config.attributes.update(connection=conn, version_table=version_table)
        inspector = sa.inspect(conn)
        if inspector.has_table(marker) and not inspector.has_table(version_table):
            command.stamp(config, first)
        command.upgrade(config, f"{schema}@{revision}" if revision == "head" else revision)
