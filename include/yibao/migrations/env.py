"""Alembic environment: run on the connection :func:`yibao.migrations.upgrade` hands over, with the version
table of the schema being migrated (warehouse or tax exchange); batch mode so SQLite can alter tables."""

from alembic import context

config = context.config
context.configure(connection=config.attributes["connection"], version_table=config.attributes["version_table"],
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
