"""viewer: the AR engine's start-up time per view session

Revision ID: 0011_viewer
Revises: 0010
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_viewer"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ar_view_sessions", sa.Column("engine_start_ms", sa.Float(), nullable=True))


def downgrade() -> None:
    # SQLite recreates the table here: keep its AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table(
        "ar_view_sessions", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("engine_start_ms")
