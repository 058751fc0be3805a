"""companies.marker_served_at: fair marker queue

The worker compiles, of all claimable items, one of the company whose last compile started
longest ago (round robin over companies), so one tenant's backlog never delays another's first
marker by more than a task slot. Nullable: a company never served comes first.

Revision ID: 0011_faults
Revises: 0010
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_faults"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("companies", sa.Column("marker_served_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # A rebuild on SQLite: keep its AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table("companies", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("marker_served_at")
