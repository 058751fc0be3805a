"""drop ar_content.qr_key

Nothing ever wrote `ar_content.qr_key`: QR codes are drawn on request, never stored. The column
goes; a downgrade brings it back empty (nullable), as it always was.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Dropping a column recreates the table on SQLite: keep its AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("qr_key")


def downgrade() -> None:
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("qr_key", sa.String(length=500), nullable=True))
