"""viewer: the AR engine's start-up time per view session; company branding (logo, accent
colour, start-screen text, own public base URL); the content's tracking smoothing

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_BRANDING = (
    ("logo", sa.LargeBinary()),
    ("logo_mime", sa.String(length=20)),
    ("logo_digest", sa.String(length=16)),
    ("accent_color", sa.String(length=7)),
    ("start_text", sa.String(length=300)),
    ("public_base_url", sa.String(length=300)),
)


def upgrade() -> None:
    op.add_column("ar_view_sessions", sa.Column("engine_start_ms", sa.Float(), nullable=True))
    for name, type_ in _BRANDING:
        op.add_column("companies", sa.Column(name, type_, nullable=True))
    op.add_column("ar_content", sa.Column("tracking_smoothing", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ar_content", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("tracking_smoothing")
    # SQLite recreates the table here: keep its AUTOINCREMENT ids (see 0004).
    with op.batch_alter_table(
        "ar_view_sessions", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("engine_start_ms")
    with op.batch_alter_table("companies", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name, _ in reversed(_BRANDING):
            batch.drop_column(name)
