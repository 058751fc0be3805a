"""trash (soft delete) on companies, projects, ar_content and videos; the audit log

`deleted_at`, `deleted_by_user_id` and `trashed_with` (the parent kind whose deletion took the row
along) on the four tables; `audit_log` for who did what to which item, and when.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRASH_TABLES = ("companies", "projects", "ar_content", "videos")


def upgrade() -> None:
    for table in TRASH_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("deleted_by_user_id", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("trashed_with", sa.String(length=16), nullable=True))
        op.create_index(f"ix_{table}_deleted_at", table, ["deleted_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_label", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,  # ids never reused (see 0004)
    )
    op.create_index("ix_audit_log_company_created", "audit_log", ["company_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_company_created", table_name="audit_log")
    op.drop_table("audit_log")
    for table in reversed(TRASH_TABLES):
        op.drop_index(f"ix_{table}_deleted_at", table_name=table)
        # Dropping a column recreates the table on SQLite: keep its AUTOINCREMENT ids (see 0004).
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("trashed_with")
            batch.drop_column("deleted_by_user_id")
            batch.drop_column("deleted_at")
