"""view sessions: `mode`, the path the viewer took ("ar" or "fallback-<why>")

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ar_view_sessions", sa.Column("mode", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # SQLite recreates the table here: keep its AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table(
        "ar_view_sessions", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("mode")
