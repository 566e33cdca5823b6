"""Bill versions not yet sent are found without reading the county's: a partial index on them.

Revision ID: w0004
Revises: w0003

``ix_bill_versions_open`` (bill_no) holds only versions neither pushed nor superseded: a correction's
push and approval read its few pending bills from it instead of probing every bill of the county.
"""

import sqlalchemy as sa
from alembic import op

revision = "w0004"
down_revision = "w0003"
branch_labels = None
depends_on = None

OPEN = sa.text("pushed_at IS NULL AND superseded_by IS NULL")


def upgrade() -> None:
    op.create_index("ix_bill_versions_open", "bill_versions", ["bill_no"], sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_bill_versions_open", table_name="bill_versions")
