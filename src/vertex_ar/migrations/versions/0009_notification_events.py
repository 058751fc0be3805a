"""storage outages on storage_connections; notifications without a company (for the operators)

`storage_connections.outage_since` and `outage_error`: when the health probes of a backend started
failing (None: healthy), kept by the storage check job so that each outage is told once.
`notifications.company_id` and `notification_outbox.company_id` become nullable: a notification
with no company is for the platform's operators (a failed backup); no company's inbox lists it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPERATOR_TABLES = ("notifications", "notification_outbox")


def upgrade() -> None:
    with op.batch_alter_table("storage_connections") as batch:
        batch.add_column(sa.Column("outage_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("outage_error", sa.Text(), nullable=True))
    for table in OPERATOR_TABLES:
        # SQLite recreates the table to change a column: keep its AUTOINCREMENT ids (see 0004).
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("company_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    for table in reversed(OPERATOR_TABLES):
        op.execute(
            sa.table(table, sa.column("company_id"))
            .delete()
            .where(sa.column("company_id").is_(None))
        )
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("company_id", existing_type=sa.Integer(), nullable=False)
    # Dropping a column recreates the table on SQLite: keep its AUTOINCREMENT ids.
    with op.batch_alter_table(
        "storage_connections", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("outage_error")
        batch.drop_column("outage_since")
