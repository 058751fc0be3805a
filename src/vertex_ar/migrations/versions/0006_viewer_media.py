"""viewer and media: company branding, per-content tracking feel and chroma key, web renditions
of videos (status, sizes, alpha packing), labels and original names, view-session paths

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIDEO_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("original_name", sa.String(255), nullable=True),
    # Rows from before renditions play their original: they are ready as they are.
    sa.Column("status", sa.String(16), nullable=False, server_default="ready"),
    sa.Column("status_reason", sa.Text(), nullable=True),
    sa.Column("rendition_key", sa.String(500), nullable=True),
    sa.Column("rendition_size_bytes", sa.BigInteger(), nullable=True),
    sa.Column("rendition_bitrate", sa.Integer(), nullable=True),
    sa.Column("rendition_width", sa.Integer(), nullable=True),
    sa.Column("rendition_height", sa.Integer(), nullable=True),
    sa.Column("alpha_packing", sa.String(16), nullable=True),
]
CONTENT_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("tracking_responsiveness", sa.Integer(), nullable=False, server_default="30"),
    sa.Column("chroma_key_color", sa.String(7), nullable=True),
    sa.Column("chroma_key_tolerance", sa.Float(), nullable=True),
]
SESSION_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("viewer_path", sa.String(32), nullable=True),
    sa.Column("engine_start_ms", sa.Float(), nullable=True),
]


def upgrade() -> None:
    op.create_table(
        "company_branding",
        sa.Column(
            "company_id",
            sa.Integer(),
            sa.ForeignKey("companies.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("logo_key", sa.String(500), nullable=True),
        sa.Column("logo_mime", sa.String(50), nullable=True),
        sa.Column("accent_color", sa.String(7), nullable=True),
        sa.Column("start_text", sa.String(200), nullable=True),
        sa.Column("public_base_url", sa.String(300), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    tables: list[tuple[str, list[sa.Column[Any]]]] = [
        ("videos", VIDEO_COLUMNS),
        ("ar_content", CONTENT_COLUMNS),
        ("ar_view_sessions", SESSION_COLUMNS),
    ]
    for table, columns in tables:
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(column._copy())


def downgrade() -> None:
    tables: list[tuple[str, list[sa.Column[Any]]]] = [
        ("ar_view_sessions", SESSION_COLUMNS),
        ("ar_content", CONTENT_COLUMNS),
        ("videos", VIDEO_COLUMNS),
    ]
    for table, columns in tables:
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column.name)
    op.drop_table("company_branding")
