"""Alembic migrations; `vertex-ar db upgrade` runs them."""
