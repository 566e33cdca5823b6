"""Tax's acknowledgements (tsjf_acks) and ``tsjf_bills.prev_version``, the version tax had before a row.

Revision ID: x0002
Revises: x0001

Before this, every version was appended as it was made, so the version tax had before a row is the
bill's highest earlier version in the table (0: none); existing rows are filled so.
"""

import sqlalchemy as sa
from alembic import op

revision = "x0002"
down_revision = "x0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("tsjf_acks"):
        op.create_table(
            "tsjf_acks",
            sa.Column("bill_no", sa.String(40), primary_key=True),
            sa.Column("version", sa.Integer, primary_key=True),
            sa.Column("region_code", sa.String(6), nullable=False),
            sa.Column("year", sa.Integer, nullable=False),
            sa.Column("result", sa.String(16), nullable=False),
            sa.Column("reason_code", sa.String(32)),
            sa.Column("reason_text", sa.Text),
            sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "prev_version" in {c["name"] for c in inspector.get_columns("tsjf_bills")}:
        return
    with op.batch_alter_table("tsjf_bills") as batch:
        batch.add_column(sa.Column("prev_version", sa.Integer, nullable=False, server_default="0"))
    bills = sa.table("tsjf_bills", sa.column("bill_no"), sa.column("version"), sa.column("prev_version"))
    earlier = bills.alias("earlier")
    op.execute(bills.update().values(prev_version=sa.func.coalesce(
        sa.select(sa.func.max(earlier.c.version))
        .where(earlier.c.bill_no == bills.c.bill_no, earlier.c.version < bills.c.version)
        .scalar_subquery(), 0)))


def downgrade() -> None:
    with op.batch_alter_table("tsjf_bills") as batch:
        batch.drop_column("prev_version")
    op.drop_table("tsjf_acks")
