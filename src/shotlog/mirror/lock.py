"""One mirror per database: a second ``shotlog mirror run`` stops with a clear error. A killed
mirror releases the lock with its process (``shotlog.store.runlock``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from shotlog.store.database import Database
from shotlog.store.runlock import exclusive_run

__all__ = ["MirrorBusy", "mirror_lock"]

_PG_LOCK_KEY = 0x5E7A_4D52  # "the mirror" for pg_try_advisory_lock


class MirrorBusy(Exception):
    pass


@contextlib.contextmanager
def mirror_lock(db: Database) -> Iterator[None]:
    busy = MirrorBusy("another shotlog mirror is already running on this database (one mirror per database)")
    with exclusive_run(db, "mirror", _PG_LOCK_KEY, busy):
        yield
