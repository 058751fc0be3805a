"""companies.marker_served_at (fair marker queue), worker_heartbeats.pool_seen_at (stuck pools)

The worker compiles, of all claimable items, one of the company whose last compile started
longest ago (round robin over companies), so one tenant's backlog never delays another's first
marker by more than a task slot. Nullable: a company never served comes first.
A worker's heartbeat thread pings its pool through the queue; the ping's run is recorded, so the
health check sees a pool that takes no task while the main process still beats.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("companies", sa.Column("marker_served_at", sa.DateTime(timezone=True)))
    op.add_column("worker_heartbeats", sa.Column("pool_seen_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.drop_column("pool_seen_at")
    # A rebuild on SQLite: keep its AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table("companies", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("marker_served_at")
