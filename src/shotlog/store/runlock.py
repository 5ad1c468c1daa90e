"""One run of a job at a time per database (the archive job, a mirror of a site), held for the run.

A killed holder releases the lock with its process, so there is never a stale lock to clear.
PostgreSQL: a session advisory lock on a connection held for the run. SQLite: ``flock`` on a file
next to the database (``<database>.<name>-lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shotlog.store.database import Database

__all__ = ["exclusive_run"]


@contextlib.contextmanager
def exclusive_run(db: Database, name: str, pg_key: int, busy: Exception) -> Iterator[None]:
    """Hold the ``name`` lock of ``db`` (advisory key ``pg_key`` on PostgreSQL) for the block;
    raise ``busy`` at once when another process holds it."""
    if db.is_sqlite:
        path = make_url(db.url).database or "shotlog.db"
        fh = open(f"{path}.{name}-lock", "a+b")  # noqa: SIM115 - held for the whole run
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy from None
            yield
        finally:
            fh.close()
        return
    with db.writer.connect() as conn:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": pg_key}).scalar()
        conn.commit()
        if not got:
            raise busy
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": pg_key})
            conn.commit()
