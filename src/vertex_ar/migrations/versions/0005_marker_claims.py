"""ar_content.marker_claim and marker_lease_until: one marker compile in flight per item, and a
lease whose lapse shows that a worker died mid-compile

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ar_content") as batch:
        batch.add_column(sa.Column("marker_claim", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("marker_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_ar_content_marker_lease", "ar_content", ["marker_status", "marker_lease_until"]
    )


def downgrade() -> None:
    op.drop_index("ix_ar_content_marker_lease", table_name="ar_content")
    with op.batch_alter_table("ar_content") as batch:
        batch.drop_column("marker_lease_until")
        batch.drop_column("marker_claim")
