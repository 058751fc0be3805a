"""users.token_version; on SQLite, AUTOINCREMENT ids for every table with an integer id

Without AUTOINCREMENT SQLite gives a deleted row's id to the next row, so a token, a signed link or
a rotation rule that named the old row would name the new one. Each table is copied (batch mode),
which is how SQLite changes a table's definition. PostgreSQL sequences never reuse ids.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents before children, so each copy's foreign keys point at a finished table.
TABLES_WITH_IDS = [
    "storage_connections", "companies", "storage_pending_deletes", "notifications", "projects",
    "users", "ar_content", "ar_view_sessions", "videos", "video_rotation_rules",
]  # fmt: skip


def _recreate_sqlite_tables(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES_WITH_IDS:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
    _recreate_sqlite_tables(autoincrement=True)


def downgrade() -> None:
    _recreate_sqlite_tables(autoincrement=False)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
