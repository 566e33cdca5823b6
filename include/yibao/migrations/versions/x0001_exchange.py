"""The tax exchange as it stood before the money path (issue 8): 特殊缴费单据 only.

Revision ID: x0001
Branch: exchange (its own version table, as the exchange may be another database)
"""

import sqlalchemy as sa
from alembic import op

revision = "x0001"
down_revision = None
branch_labels = ("exchange",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tsjf_bills",
        sa.Column("bill_no", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("subsidy", sa.Numeric(12, 2), nullable=False),
        sa.Column("personal", sa.Numeric(12, 2), nullable=False),
        sa.Column("funds", sa.Text, nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tsjf_bills")
