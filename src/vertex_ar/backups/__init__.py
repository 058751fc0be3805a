"""Backups: the database (pg_dump / SQLite's online backup) and the platform's local media, with a
manifest of checksums; verify, restore and retention (`vertex-ar backup ...`, Celery Beat)."""
