"""One mirror per database: a second ``shotlog mirror run`` stops with a clear error. A killed
mirror releases the lock with its process (no stale lock to clear)."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shotlog.store.database import Database

__all__ = ["MirrorBusy", "mirror_lock"]

_PG_LOCK_KEY = 0x5E7A_4D52  # "the mirror" for pg_try_advisory_lock


class MirrorBusy(Exception):
    pass


_BUSY = "another shotlog mirror is already running on this database (one mirror per database)"


@contextlib.contextmanager
def mirror_lock(db: Database) -> Iterator[None]:
    """PostgreSQL: a session advisory lock on a connection held for the run. SQLite: ``flock`` on a
    file next to the database."""
    if db.is_sqlite:
        path = make_url(db.url).database or "shotlog.db"
        fh = open(f"{path}.mirror-lock", "a+b")  # noqa: SIM115 - held for the whole run
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise MirrorBusy(_BUSY) from None
            yield
        finally:
            fh.close()
        return
    with db.writer.connect() as conn:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}).scalar()
        conn.commit()
        if not got:
            raise MirrorBusy(_BUSY)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
