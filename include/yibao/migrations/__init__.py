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
from alembic import command
from alembic.config import Config

#: schema → (version table, first revision, a table every database of that schema has)
SCHEMAS = {"warehouse": ("alembic_version", "w0001", "feed_loads"),
           "exchange": ("alembic_version_exchange", "x0001", "tsjf_bills")}


def upgrade(engine: sa.Engine, schema: str, revision: str = "head") -> None:
    """Migrate ``schema`` ("warehouse" or "exchange") on ``engine`` to ``revision`` (default: head)."""
    version_table, first, marker = SCHEMAS[schema]
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    with engine.begin() as conn:
        config.attributes.update(connection=conn, version_table=version_table)
        inspector = sa.inspect(conn)
        if inspector.has_table(marker) and not inspector.has_table(version_table):
            command.stamp(config, first)
        command.upgrade(config, f"{schema}@{revision}" if revision == "head" else revision)
