"""The migrations build exactly the schema the models declare, on both backends: a merge that
renumbers or reorders revisions, or a model change without its revision, shows up here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from tests.support.backends import Backend
from vertex_ar.core.db import sync_url
from vertex_ar.models import Base


def test_migrated_schema_matches_the_models(backend: Backend) -> None:
    engine = create_engine(sync_url(backend.database_url))  # the session's database, at head
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
