"""Sent-back rows are found by their row: ID suggestions are written to them one row at a time.

Revision ID: w0003
Revises: w0002

``ix_rejections_row`` (county, feed, file, row_no) replaces ``ix_rejections_county_feed``, its prefix.
"""

from alembic import op

revision = "w0003"
down_revision = "w0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_rejections_row", "rejections", ["county", "feed", "file", "row_no"])
    op.drop_index("ix_rejections_county_feed", table_name="rejections")


def downgrade() -> None:
    op.create_index("ix_rejections_county_feed", "rejections", ["county", "feed"])
    op.drop_index("ix_rejections_row", table_name="rejections")
