"""portrait replacement and video labels

`ar_content.next_portrait_*`: a replacement portrait waiting for its marker (the current one keeps
serving until it compiles) and `portrait_error`, why the last one could not be compiled.
`videos.label` and `videos.original_filename`. `storage_pending_deletes.not_before`: a superseded
file is deleted only once the links signed before its replacement have expired. All nullable:
existing rows need no value.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONTENT = ("next_portrait_key", "next_portrait_mime", "next_portrait_width",
            "next_portrait_height", "portrait_error")  # fmt: skip
_VIDEOS = ("label", "original_filename")


def upgrade() -> None:
    # Batch mode recreates the tables on SQLite: keep their AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("next_portrait_key", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("next_portrait_mime", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("next_portrait_width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_portrait_height", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("portrait_error", sa.Text(), nullable=True))
    with op.batch_alter_table("videos", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("label", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("original_filename", sa.String(length=255), nullable=True))
    op.add_column(
        "storage_pending_deletes",
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "storage_pending_deletes", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("not_before")
    with op.batch_alter_table("videos", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in reversed(_VIDEOS):
            batch.drop_column(name)
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in reversed(_CONTENT):
            batch.drop_column(name)
