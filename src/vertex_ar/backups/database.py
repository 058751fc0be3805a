"""The database half of a backup: dump, restore, row counts, scratch databases.

PostgreSQL: `pg_dump --format=custom` inside a snapshot that the row counts are read from too, so
the counts in the manifest are exactly the dump's; restore pipes `pg_restore`'s SQL into one
`psql --single-transaction` that first drops what the schema holds (all or nothing).
SQLite: the online backup API (`sqlite3.Connection.backup`), consistent while the app writes.

Passwords reach the PostgreSQL tools through PGPASSWORD in their environment, never argv.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from vertex_ar.backups.manifest import DatabaseKind

DUMP_FILES: dict[DatabaseKind, str] = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
TOOL_TIMEOUT = 6 * 3600

# Empties the public schema before a restore, in the restore's own transaction.
_DROP_EVERYTHING = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') LOOP
    EXECUTE format(
      CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS public.%I CASCADE'
                     WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE'
                     ELSE 'DROP TABLE IF EXISTS public.%I CASCADE' END, r.relname);
  END LOOP;
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'S' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', r.relname);
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname);
  END LOOP;
END $$;
"""


class DatabaseBackupError(Exception):
    """A dump or restore failed; the message names the tool and its complaint."""


@dataclass(frozen=True)
class Snapshot:
    file_name: str
    revision: str | None
    row_counts: dict[str, int]


def kind_of(url: str) -> DatabaseKind:
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    raise DatabaseBackupError(f"backups support SQLite and PostgreSQL, not {name}")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DatabaseBackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_url(url: str) -> URL:
    return make_url(url).set(drivername="postgresql")


def _conninfo(url: str) -> str:
    return _pg_url(url).render_as_string(hide_password=False)


def _pg_env(url: str) -> dict[str, str]:
    """libpq's environment for `url` (the tools read the password from here)."""
    parsed = _pg_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for name, value in parsed.query.items():
        single = value if isinstance(value, str) else value[-1]
        if name in {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}:
            values[f"PG{name.upper()}"] = single
        if name == "host":  # a Unix socket folder
            values["PGHOST"] = single
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- row counts ---------------------------------------------------------------------------------


def _sqlite_counts(connection: sqlite3.Connection) -> tuple[dict[str, int], str | None]:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts: dict[str, int] = {}
    for table in tables:
        query = f"SELECT count(*) FROM {_quote(table)}"  # noqa: S608 - catalog names, quoted
        counts[table] = int(connection.execute(query).fetchone()[0])
    revision = None
    if "alembic_version" in counts:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return counts, revision


def _pg_counts(
    connection: psycopg.Connection[tuple[object, ...]],
) -> tuple[dict[str, int], str | None]:
    tables = [
        str(row[0])
        for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    counts: dict[str, int] = {}
    for table in tables:
        row = connection.execute(f"SELECT count(*) FROM public.{_quote(table)}").fetchone()  # noqa: S608 - names from the catalog, quoted
        counts[table] = int(row[0]) if row else 0  # type: ignore[call-overload]
    revision = None
    if "alembic_version" in counts:
        found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = str(found[0]) if found else None
    return counts, revision


def row_counts(url: str) -> tuple[dict[str, int], str | None]:
    """(rows per table, alembic revision) of the database at `url`."""
    if kind_of(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists():
            return {}, None
        with closing(sqlite3.connect(path)) as connection:
            return _sqlite_counts(connection)
    with psycopg.connect(_conninfo(url), connect_timeout=10) as connection:
        return _pg_counts(connection)


def data_rows(url: str) -> dict[str, int]:
    """Tables holding rows (Alembic's own bookkeeping aside): a restore target must have none."""
    counts, _ = row_counts(url)
    return {t: n for t, n in counts.items() if n and t != "alembic_version"}


# --- dump ---------------------------------------------------------------------------------------


def dump(url: str, folder: Path) -> Snapshot:
    """Write the database at `url` into `folder`; counts and revision are those of the dump."""
    kind = kind_of(url)
    target = folder / DUMP_FILES[kind]
    if kind == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise DatabaseBackupError(f"no SQLite database at {source}")
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dest:
            src.backup(dest)
            # A plain rollback-journal file: opening the copy later leaves no -wal/-shm beside it.
            dest.execute("PRAGMA journal_mode=DELETE")
            counts, revision = _sqlite_counts(dest)
        return Snapshot(target.name, revision, counts)

    with psycopg.connect(_conninfo(url), connect_timeout=10) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        row = connection.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = str(row[0]) if row else ""
        counts, revision = _pg_counts(connection)
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl",
             f"--snapshot={snapshot}", f"--file={target}"],
            env=_pg_env(url),
        )  # fmt: skip
        connection.rollback()
    return Snapshot(target.name, revision, counts)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseBackupError(
            f"{name} is not installed (Debian: apt-get install postgresql-client)"
        )
    return path


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 - fixed tools, arguments we built
        argv, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
    )
    if done.returncode != 0:
        name = Path(argv[0]).name
        raise DatabaseBackupError(f"{name} failed: {done.stderr.strip()[-2000:]}")


# --- restore ------------------------------------------------------------------------------------


def restore(dump_file: Path, url: str) -> None:
    """Replace the database at `url` with the dump, all or nothing."""
    if kind_of(url) == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        source_uri = dump_file.resolve().as_uri() + "?mode=ro"
        with (
            closing(sqlite3.connect(source_uri, uri=True)) as src,
            closing(sqlite3.connect(target)) as dest,
        ):
            dest.execute("PRAGMA busy_timeout=10000")
            src.backup(dest)
        return

    with tempfile.TemporaryDirectory(prefix="vertex-ar-restore-") as scratch:
        drops = Path(scratch) / "drop.sql"
        drops.write_text(_DROP_EVERYTHING)
        restore_err, psql_err = Path(scratch) / "pg_restore.err", Path(scratch) / "psql.err"
        env = _pg_env(url)
        pg_restore, psql = _tool("pg_restore"), _tool("psql")
        with restore_err.open("w") as rerr, psql_err.open("w") as perr:
            producer = subprocess.Popen(  # noqa: S603 - fixed tool, our arguments
                [pg_restore, "--no-owner", "--no-acl", "--file=-", str(dump_file)],
                stdout=subprocess.PIPE, stderr=rerr, env=env,
            )  # fmt: skip
            consumer = subprocess.Popen(  # noqa: S603 - fixed tool, our arguments
                [psql, "--no-psqlrc", "--quiet", "--single-transaction",
                 "--set=ON_ERROR_STOP=1", f"--file={drops}", "--file=-"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=perr, env=env,
            )  # fmt: skip
            producer_code, consumer_code = _pipe(producer, consumer)
        if producer_code != 0:
            raise DatabaseBackupError(f"pg_restore failed: {restore_err.read_text().strip()}")
        if consumer_code != 0:
            raise DatabaseBackupError(
                f"psql failed, nothing was restored: {psql_err.read_text().strip()[-2000:]}"
            )


def _pipe(producer: subprocess.Popen[bytes], consumer: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Copy the producer's output into the consumer; the consumer sees the end of its input
    only when the producer succeeded. Otherwise it is killed, so psql's single transaction
    (the drops included) is rolled back instead of committed."""
    assert producer.stdout is not None and consumer.stdin is not None
    try:
        while chunk := producer.stdout.read(1024 * 1024):
            consumer.stdin.write(chunk)
    except BrokenPipeError:  # psql stopped at an error; its own exit code says which
        producer.kill()
    producer_code = producer.wait(timeout=TOOL_TIMEOUT)
    if producer_code != 0:
        consumer.kill()
        consumer.wait()
        return producer_code, 1
    with suppress(BrokenPipeError):
        consumer.stdin.close()
    return producer_code, consumer.wait(timeout=TOOL_TIMEOUT)


# --- scratch databases --------------------------------------------------------------------------


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """An empty database of the same kind as `url` (a temp SQLite file, or a PostgreSQL database
    created next to the configured one), dropped afterwards."""
    if kind_of(url) == "sqlite":
        with tempfile.TemporaryDirectory(prefix="vertex-ar-verify-") as folder:
            yield f"sqlite:///{Path(folder) / 'scratch.db'}"
        return
    parsed = _pg_url(url)
    name = f"{(parsed.database or 'vertex_ar')[:40]}_verify_{secrets.token_hex(4)}"
    with psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=10) as admin:
        try:
            admin.execute(f"CREATE DATABASE {_quote(name)}")
        except psycopg.Error as exc:
            raise DatabaseBackupError(
                f"could not create the scratch database {name} (the database user needs "
                f"CREATEDB): {exc}"
            ) from exc
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
