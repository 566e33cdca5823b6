"""The warehouse as it stood before the money path (issue 8) and the departments' round trip (issue 9).

Revision ID: w0001
Branch: warehouse (the first revision: a warehouse made by ``create_all`` before Alembic is stamped here)
"""

import sqlalchemy as sa
from alembic import op

revision = "w0001"
down_revision = None
branch_labels = ("warehouse",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_loads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("id_masked", sa.String(32)),
        sa.Column("town", sa.String(64)),
        sa.Column("reason_codes", sa.Text, nullable=False),
        sa.Column("reason_text", sa.Text, nullable=False),
        sa.Column("suggested_id_masked", sa.String(32)),
    )
    op.create_index("ix_rejections_county_feed", "rejections", ["county", "feed"])
    op.create_table(
        "bills",
        sa.Column("bill_no", sa.String(40), primary_key=True),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("person_key", sa.BigInteger, nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("town", sa.String(64)),
        sa.Column("category", sa.Text),
        sa.Column("clause", sa.String(64)),
        sa.Column("subsidy_fen", sa.BigInteger, nullable=False),
        sa.Column("personal_fen", sa.BigInteger, nullable=False),
        sa.Column("funds", sa.Text, nullable=False),
        sa.Column("basis", sa.Text),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_bills_county_year", "bills", ["county", "year"])
    op.create_table(
        "bill_versions",
        sa.Column("bill_no", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("subsidy_fen", sa.BigInteger, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "coverage_by_town",
        sa.Column("county", sa.String(32), primary_key=True),
        sa.Column("town", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("task_population", sa.Integer),
        sa.Column("should_insure", sa.Integer, nullable=False),
        sa.Column("paid", sa.Integer, nullable=False),
        sa.Column("gap", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "coverage_daily",
        sa.Column("county", sa.String(32), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("town", sa.String(64), primary_key=True),
        sa.Column("task_population", sa.Integer),
        *(sa.Column(c, sa.Integer, nullable=False) for c in (
            "should_insure", "paid", "gap", "late", "assisted_should", "assisted_paid", "excluded",
            "partial_households")),
        sa.Column("run_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "status_daily",
        sa.Column("county", sa.String(32), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("status", sa.String(32), primary_key=True),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("status_daily", "coverage_daily", "coverage_by_town", "bill_versions", "bills", "rejections",
                  "feed_loads"):
        op.drop_table(table)
