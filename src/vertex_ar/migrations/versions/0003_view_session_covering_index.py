"""view sessions: a covering (company_id, created_at, ...) index for analytics

The overview aggregates one company's sessions in a period; with every aggregated column in
the index, SQLite and PostgreSQL answer from the index alone. It replaces the plain
(company_id, created_at) index, which is its prefix.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = ["company_id", "created_at", "content_id", "device_type", "found", "fps",
           "duration_seconds", "time_to_detection_ms"]  # fmt: skip


def upgrade() -> None:
    op.create_index("ix_ar_view_sessions_company_time_cover", "ar_view_sessions", COVERED)
    op.drop_index("ix_ar_view_sessions_company_time", table_name="ar_view_sessions")


def downgrade() -> None:
    op.create_index(
        "ix_ar_view_sessions_company_time", "ar_view_sessions", ["company_id", "created_at"]
    )
    op.drop_index("ix_ar_view_sessions_company_time_cover", table_name="ar_view_sessions")
