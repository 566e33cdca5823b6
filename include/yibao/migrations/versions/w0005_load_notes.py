"""What a load passed over is kept with it, for the campaign page: ``feed_loads.notes``.

Revision ID: w0005
Revises: w0004

``notes`` (JSON text, NULL for older loads): the sheets of a workbook that were not read and the rows that
are the roster's own furniture (标题、表头、合计、表尾), so an operator sees them beside the load, not in a log.
"""

import sqlalchemy as sa
from alembic import op

revision = "w0005"
down_revision = "w0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feed_loads", sa.Column("notes", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("feed_loads") as batch:
        batch.drop_column("notes")
