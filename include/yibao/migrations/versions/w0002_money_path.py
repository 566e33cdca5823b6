"""The money path and the departments' round trip: files seen per feed, approval batches, tax's answers,
work items, and ``bill_versions.superseded_by``.

Revision ID: w0002
Revises: w0001

A warehouse made by ``create_all`` between the two (it has some of these already) is stamped at w0001,
so each step here is skipped when what it adds is there.
"""

import sqlalchemy as sa
from alembic import op

revision = "w0002"
down_revision = "w0001"
branch_labels = None
depends_on = None


def _create(name: str, *columns, indexes: dict[str, list[str]] | None = None) -> None:
    if sa.inspect(op.get_bind()).has_table(name):
        return
    op.create_table(name, *columns)
    for index, on in (indexes or {}).items():
        op.create_index(index, name, on)


def upgrade() -> None:
    _create(
        "feed_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.BigInteger),
        sa.Column("arrived_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text),
        indexes={"ix_feed_files_county_feed": ["county", "feed"]},
    )
    _create(
        "push_batches",
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bills", sa.Integer, nullable=False),
        sa.Column("moved_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("previous_batch", sa.String(64)),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("summary", sa.Text, nullable=False),
        indexes={"ix_push_batches_county_year": ["county", "year"]},
    )
    _create(
        "tax_acks",
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("bill_no", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(32)),
        sa.Column("reason_text", sa.Text),
        sa.Column("acked_at", sa.Text),
        sa.Column("run_id", sa.String(64), nullable=False),
    )
    _create(
        "work_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bill_no", sa.String(40)),
        sa.Column("id_masked", sa.String(32)),
        sa.Column("name_masked", sa.Text),
        sa.Column("town", sa.String(64)),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("reason_text", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("run_id", sa.String(64), nullable=False),
        indexes={"ix_work_items_county_kind": ["county", "kind"]},
    )
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("bill_versions")}
    if "superseded_by" not in columns:  # every version before this was sent as made: none superseded
        with op.batch_alter_table("bill_versions") as batch:
            batch.add_column(sa.Column("superseded_by", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("bill_versions") as batch:
        batch.drop_column("superseded_by")
    for table in ("work_items", "tax_acks", "push_batches", "feed_files"):
        op.drop_table(table)
