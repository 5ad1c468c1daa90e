"""A consistent copy of the database while shotlog runs, and putting one back.

* **SQLite**: the online backup API copies every page in one step, inside one read transaction of
  the source. Under WAL that transaction sees the database as of its start while writers go on
  committing, so the copy is a committed state (never half a write) and holds every write
  acknowledged before the backup began. Restoring runs the same API the other way, into a
  connection to the target: the target's readers see the old database or the new one, never a mix.
* **PostgreSQL**: ``pg_dump`` (custom format) of a snapshot this module exports from a repeatable-
  read transaction, so the revision and the event log's head it records are those of the dump.
  Restoring turns the dump into SQL with ``pg_restore`` and runs it with ``psql`` in one
  transaction, after dropping the ``public`` schema when replacing a database: a failed restore
  leaves the database as it was. The client programs must be on ``PATH`` (Debian:
  ``postgresql-client``), of the server's major version or newer.

A restore refuses a database that holds any table unless ``force`` says to replace it.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from shotlog.errors import ShotlogError
from shotlog.store.database import normalize_url

__all__ = ["BackupError", "DatabaseCopy", "copy_database", "database_tables", "restore_database"]

#: file names of the database inside a backup directory, by backend
COPY_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1024 * 1024


class BackupError(ShotlogError):
    """A backup or restore that cannot be done: the reason, and what to do instead."""


@dataclass(frozen=True, slots=True)
class DatabaseCopy:
    """What a copy holds: its file (in the backup directory), backend, revision and last event."""

    file: str
    backend: str
    revision: str | None
    last_event_id: int


def _backend(url: str) -> str:
    try:
        backend = make_url(normalize_url(url)).get_backend_name()
    except sa.exc.ArgumentError:
        raise BackupError(f"not a database URL: {url!r}") from None
    if backend not in COPY_NAMES:
        raise BackupError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(normalize_url(url)).database
    if database in (None, "", ":memory:"):
        raise BackupError(f"{url!r} names no SQLite file")
    return Path(str(database))


@contextlib.contextmanager
def _libpq(url: str) -> Iterator[str]:
    """A URL for the PostgreSQL client programs. A password goes in a passfile only this user can
    read, removed afterwards: never on a command line, which any user of the machine can see."""
    parsed = make_url(normalize_url(url))
    plain = parsed.set(drivername="postgresql", password=None)
    if parsed.password is None:
        yield plain.render_as_string(hide_password=False)
        return
    secret = str(parsed.password).replace("\\", "\\\\").replace(":", "\\:")
    with tempfile.TemporaryDirectory(prefix="shotlog-pg-") as folder:
        passfile = Path(folder) / "pgpass"
        passfile.touch(mode=0o600)
        passfile.write_text(f"*:*:*:*:{secret}\n")
        query = {**plain.query, "passfile": str(passfile)}
        yield plain.set(query=query).render_as_string(hide_password=False)


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: PostgreSQL backups need the PostgreSQL client programs "
            "(pg_dump, pg_restore, psql; Debian's postgresql-client) of the server's version or newer"
        )
    return found


def _head(conn: Connection) -> tuple[str | None, int]:
    """The schema revision and the event log's last id, as this connection's transaction sees them."""
    tables = set(sa.inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    last = 0
    if "event_log_entries" in tables:
        last = conn.execute(sa.text("SELECT max(id) FROM event_log_entries")).scalar() or 0
    return revision, int(last)


def copy_database(url: str, directory: Path) -> DatabaseCopy:
    """Copy the database at ``url`` into ``directory`` (which must exist), consistently."""
    backend = _backend(url)
    target = directory / COPY_NAMES[backend]
    if backend == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"there is no SQLite database at {str(source)!r}")
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)  # all pages in one step: one read transaction, one state
        engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            revision, last = _head(conn)
        engine.dispose()
        return DatabaseCopy(target.name, backend, revision, last)
    pg_dump = _program("pg_dump")
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            revision, last = _head(conn)
            # the dump reads the snapshot this transaction holds open until it is done
            with _libpq(url) as libpq:
                _run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", libpq],
                    "pg_dump",
                )
            conn.rollback()
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot read the database to back it up: {exc.orig}") from None
    finally:
        engine.dispose()
    return DatabaseCopy(target.name, backend, revision, last)


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip() or done.returncode}")


def database_tables(url: str) -> list[str]:
    """The tables in the database at ``url`` (none for a SQLite file that does not exist yet)."""
    backend = _backend(url)
    if backend == "sqlite" and not _sqlite_path(url).exists():
        return []
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(sa.inspect(conn).get_table_names())
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot open the database to restore into: {exc.orig}") from None
    finally:
        engine.dispose()


def restore_database(copy: Path, backend: str, url: str, *, force: bool) -> None:
    """Put the copy at ``copy`` (of ``backend``) in the database at ``url``; refused over a database
    that has tables unless ``force``."""
    target = _backend(url)
    if target != backend:
        raise BackupError(
            f"the backup is of a {backend} database and cannot be restored to {target}: "
            f"restore it to a {backend} URL"
        )
    tables = database_tables(url)
    if tables and not force:
        raise BackupError(
            f"the database to restore into is not empty ({len(tables)} tables): the restore would "
            "replace everything in it; stop every shotlog process using it, then restore with --force"
        )
    if backend == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(copy)) as src,
            contextlib.closing(sqlite3.connect(path, timeout=30)) as dst,
        ):
            src.backup(dst)  # one write transaction of the target: all pages or none
        return
    _restore_postgresql(copy, url, replace=bool(tables))


def _restore_postgresql(copy: Path, url: str, *, replace: bool) -> None:
    pg_restore, psql = _program("pg_restore"), _program("psql")
    with _libpq(url) as libpq:
        _pipe_restore(pg_restore, psql, copy, libpq, replace)


def _pipe_restore(pg_restore: str, psql: str, copy: Path, libpq: str, replace: bool) -> None:
    # pg_restore writes SQL (owners and grants left out: the target's role owns what it restores);
    # psql runs it in one transaction, after the drop, so a failure anywhere changes nothing
    with subprocess.Popen(
        [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(copy)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as sql:
        with subprocess.Popen(
            [
                psql,
                "--quiet",
                "--no-psqlrc",
                "--single-transaction",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
                "-",
                libpq,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ) as runner:
            assert sql.stdout is not None and runner.stdin is not None
            try:
                if replace:
                    runner.stdin.write(b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
                for chunk in _chunks(sql.stdout.read):
                    runner.stdin.write(chunk)
            except BrokenPipeError:
                pass  # psql stopped at an error: its message says which
            finally:
                runner.stdin.close()
            psql_errors = runner.stderr.read().decode(errors="replace") if runner.stderr else ""
        dump_errors = sql.stderr.read().decode(errors="replace") if sql.stderr else ""
    if sql.returncode != 0:
        raise BackupError(f"pg_restore could not read {str(copy)!r}: {dump_errors.strip()}")
    if runner.returncode != 0:
        raise BackupError(f"the restore failed and changed nothing: {psql_errors.strip()}")


def _chunks(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while chunk := read(_CHUNK):
        yield chunk
