"""storage connections, deferred deletes, companies.storage_connection_id foreign key

A downgrade drops the connections: companies keep their (then dangling) ids and fall back to
the platform's local disk: bring their media there before downgrading.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storage_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("local", "s3", "yandex_disk", name="storagekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets_token", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_connections")),
        sa.UniqueConstraint("name", name=op.f("uq_storage_connections_name")),
    )
    op.create_table(
        "storage_pending_deletes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["storage_connections.id"],
            name=op.f("fk_storage_pending_deletes_connection_id_storage_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_pending_deletes")),
    )
    with op.batch_alter_table("storage_pending_deletes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_storage_pending_deletes_connection_id"), ["connection_id"], unique=False
        )
    # Before this revision the column meant nothing (every company used the platform's disk, as
    # it still does with NULL): clear leftovers, e.g. after a downgrade, so the key can be added.
    op.execute("UPDATE companies SET storage_connection_id = NULL")
    # SQLite: batch mode rebuilds `companies`; Alembic's connection has foreign keys off, so the
    # rebuild cascades into nothing.
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_companies_storage_connection_id_storage_connections"),
            "storage_connections",
            ["storage_connection_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_companies_storage_connection_id_storage_connections"),
            type_="foreignkey",
        )
    with op.batch_alter_table("storage_pending_deletes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_pending_deletes_connection_id"))
    op.drop_table("storage_pending_deletes")
    op.drop_table("storage_connections")
