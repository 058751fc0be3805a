"""web renditions of videos, their layout and status; chroma key per content item

`videos`: the rendition's status (and why it failed), its storage keys (video, poster), size and
bitrate, its frame layout (plain, or alpha packed side by side), the upload's codec and whether
the upload itself plays in a phone browser. Rows from before are `ready` without a rendition and
playable: the viewer keeps playing their upload as it did. `ar_content`: the chroma key.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIDEO_COLUMNS = (
    "codec", "original_playable", "status", "status_reason", "layout", "rendition_key",
    "rendition_width", "rendition_height", "rendition_bitrate", "rendition_size_bytes",
    "poster_key",
)  # fmt: skip
CONTENT_COLUMNS = ("chroma_key_color", "chroma_key_tolerance")


def upgrade() -> None:
    # Adding columns needs no table copy; a downgrade's drop does (keep AUTOINCREMENT, see 0004).
    with op.batch_alter_table("videos", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("codec", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("original_playable", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="ready", nullable=False)
        )
        batch.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("layout", sa.String(length=32), server_default="plain", nullable=False)
        )
        batch.add_column(sa.Column("rendition_key", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("rendition_width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rendition_height", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rendition_bitrate", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rendition_size_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("poster_key", sa.String(length=500), nullable=True))
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("chroma_key_color", sa.String(length=7), nullable=True))
        batch.add_column(
            sa.Column(
                "chroma_key_tolerance", sa.Float(), server_default=sa.text("0.3"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in CONTENT_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("videos", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in VIDEO_COLUMNS:
            batch.drop_column(name)
