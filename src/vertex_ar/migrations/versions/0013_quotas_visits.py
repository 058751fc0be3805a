"""quotas per company, portrait sizes, view sessions deduplicated per visit

`companies.quota_*` (None: the QUOTA_* settings), `ar_content.portrait_bytes` (counted in the
storage quota; 0 for portraits stored before, whose size was not kept) and
`ar_view_sessions.visit_id` with a unique index per content item: a visit is counted once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUOTAS = ("quota_storage_bytes", "quota_content_items", "quota_videos_per_content")


def upgrade() -> None:
    op.add_column("companies", sa.Column("quota_storage_bytes", sa.BigInteger(), nullable=True))
    op.add_column("companies", sa.Column("quota_content_items", sa.Integer(), nullable=True))
    op.add_column("companies", sa.Column("quota_videos_per_content", sa.Integer(), nullable=True))
    op.add_column(
        "ar_content",
        sa.Column("portrait_bytes", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("ar_view_sessions", sa.Column("visit_id", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_ar_view_sessions_content_visit",
        "ar_view_sessions",
        ["content_id", "visit_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_ar_view_sessions_content_visit", table_name="ar_view_sessions")
    # SQLite recreates each table here: keep its AUTOINCREMENT ids (see 0004).
    autoincrement = {"sqlite_autoincrement": True}
    with op.batch_alter_table("ar_view_sessions", table_kwargs=autoincrement) as batch:
        batch.drop_column("visit_id")
    with op.batch_alter_table("ar_content", table_kwargs=autoincrement) as batch:
        batch.drop_column("portrait_bytes")
    with op.batch_alter_table("companies", table_kwargs=autoincrement) as batch:
        for column in QUOTAS:
            batch.drop_column(column)
