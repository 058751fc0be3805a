"""Notifications: per-company settings, the inbox, told events and the delivery outbox

The placeholder `notifications` table of 0001 was never written to; it is replaced by the inbox.
On SQLite every new table says AUTOINCREMENT (see 0004).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies",
        ondelete="CASCADE",
    )  # fmt: skip


def _notification_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["notification_id"], ["notifications.id"],
        name=f"fk_{table}_notification_id_notifications", ondelete="CASCADE",
    )  # fmt: skip


def upgrade() -> None:
    op.drop_index("ix_notifications_company_id", table_name="notifications")
    op.drop_table("notifications")
    op.create_table(
        "notification_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("telegram_chat_ids", sa.JSON(), nullable=False),
        sa.Column("expiry_warning_days", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _company_fk("notification_settings"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_settings"),
        sa.UniqueConstraint("company_id", name="uq_notification_settings_company_id"),
        **AUTOINCREMENT,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        _company_fk("notifications"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("key", name="uq_notifications_key"),
        **AUTOINCREMENT,
    )
    op.create_index("ix_notifications_company_id", "notifications", ["company_id"])
    op.create_table(
        "notification_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        _notification_fk("notification_events"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_events"),
        sa.UniqueConstraint("key", name="uq_notification_events_key"),
        **AUTOINCREMENT,
    )
    op.create_index(
        "ix_notification_events_notification_id", "notification_events", ["notification_id"]
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _company_fk("notification_outbox"),
        _notification_fk("notification_outbox"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_outbox"),
        sa.UniqueConstraint("key", name="uq_notification_outbox_key"),
        **AUTOINCREMENT,
    )
    op.create_index(
        "ix_notification_outbox_notification_id", "notification_outbox", ["notification_id"]
    )
    op.create_index("ix_notification_outbox_company_id", "notification_outbox", ["company_id"])
    op.create_index(
        "ix_notification_outbox_due", "notification_outbox", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("notification_outbox")
    op.drop_table("notification_events")
    op.drop_index("ix_notifications_company_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notification_settings")
    # The placeholder of 0001, as 0004 left it (AUTOINCREMENT on SQLite).
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _company_fk("notifications"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        **AUTOINCREMENT,
    )
    op.create_index("ix_notifications_company_id", "notifications", ["company_id"])
