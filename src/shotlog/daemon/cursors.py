"""Durable per-plugin cursors in the state database (the ``daemon_cursors`` table).

A cursor is the position of the last event a plugin finished. It moves forward only; the worker
commits it every ``commit_every`` events or ``commit_interval`` seconds, and its progress file
(``progress.py``) holds every event in between, so after a kill -9 the plugin restarts at the event
it was running (the one event that may run twice) and never skips one (``checkpoint.py`` puts the
two tiers together). ``pending`` holds ids at or
below the cursor still to process (a legacy backlog brought in by ``import-state``) and
``done_callbacks`` the callbacks that already succeeded on the event after the cursor, so resuming a
failed plugin does not run them again (upstream re-runs them).

Operators change ``paused`` and ``resume_token`` (pause, resume) from the CLI or the REST API; the
daemon polls them. Everything here is plain SQL through SQLAlchemy Core on ``Database``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shotlog.clock import utcnow
from shotlog.store.database import Database
from shotlog.store.tables import daemon_cursors as dc
from shotlog.store.tables import daemon_instances as di

__all__ = ["Cursor", "CursorStore", "DaemonBusy"]

#: a daemon whose heartbeat is older than this is presumed dead (it beats every second)
STALE_AFTER = dt.timedelta(seconds=15)


class DaemonBusy(RuntimeError):
    """Another live daemon with the same name owns the cursors."""


@dataclass(frozen=True)
class Cursor:
    collection: str
    plugin: str
    position: int
    last_event_id: int | None
    pending: tuple[int, ...]
    done_callbacks: tuple[str, ...]
    fence_event_id: int | None
    state: str
    paused: bool
    resume_token: int
    last_error: str | None
    error_event_id: int | None
    processed: int
    errors: int
    path: str | None
    updated_at: dt.datetime
    #: an operator set the position (replay, --from-event-id, import-state) and the worker has not
    #: committed since: its own progress beyond the old position must not overwrite the move
    moved: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.collection, self.plugin)


def _cursor(row: Any) -> Cursor:
    return Cursor(
        collection=row.collection,
        plugin=row.plugin,
        position=int(row.position),
        last_event_id=row.last_event_id,
        pending=tuple(int(i) for i in (row.pending or ())),
        done_callbacks=tuple(str(n) for n in (row.done_callbacks or ())),
        fence_event_id=row.fence_event_id,
        state=row.state,
        paused=bool(row.paused),
        resume_token=int(row.resume_token),
        last_error=row.last_error,
        error_event_id=row.error_event_id,
        processed=int(row.processed),
        errors=int(row.errors),
        path=row.path,
        updated_at=row.updated_at,
        moved=row.done_callbacks == [],
    )


#: ``done_callbacks`` of a cursor an operator moved: an empty list, where the worker's commits write
#: NULL (a moved cursor has no callbacks done on its next event either way)
_MOVED: list[str] = []


def _advance_statement(*, with_pending: bool) -> sa.Update:
    """The worker's commit, built once (it runs up to ``1 / commit_interval`` times a second per
    plugin; building the expression each time cost several times the commit itself)."""
    event_id: sa.BindParameter[int] = sa.bindparam("new_event_id", type_=sa.Integer())
    values: dict[str, Any] = {
        "position": sa.bindparam("new_position"),
        "last_event_id": sa.func.coalesce(
            sa.case((dc.c.last_event_id > event_id, dc.c.last_event_id), else_=event_id), event_id
        ),
        "done_callbacks": None,
        "processed": dc.c.processed + sa.bindparam("add_handled"),
        "errors": dc.c.errors + sa.bindparam("add_failures"),
        "updated_at": sa.bindparam("now", type_=dc.c.updated_at.type),
    }
    if with_pending:
        values["pending"] = sa.bindparam("new_pending", type_=dc.c.pending.type)
    return (
        sa.update(dc)
        .where(
            dc.c.daemon == sa.bindparam("k_daemon"),
            dc.c.collection == sa.bindparam("k_collection"),
            dc.c.plugin == sa.bindparam("k_plugin"),
            dc.c.resume_token == sa.bindparam("k_token"),
        )
        .values(**values)
    )


_ADVANCE = _advance_statement(with_pending=False)
_ADVANCE_PENDING = _advance_statement(with_pending=True)


class CursorStore:
    """The cursors of one named daemon (several daemons may share a state database)."""

    def __init__(self, db: Database, daemon: str) -> None:
        self.db = db
        self.daemon = daemon

    def close(self) -> None:
        """Nothing to release: every statement borrows a connection of ``db`` for its transaction."""

    def _where(self, collection: str, plugin: str) -> sa.ColumnElement[bool]:
        return sa.and_(dc.c.daemon == self.daemon, dc.c.collection == collection, dc.c.plugin == plugin)

    # -- reading ------------------------------------------------------------------------------------

    def all(self) -> list[Cursor]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(dc).where(dc.c.daemon == self.daemon).order_by(dc.c.collection, dc.c.plugin)
            ).all()
        return [_cursor(r) for r in rows]

    def get(self, collection: str, plugin: str) -> Cursor | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(dc).where(self._where(collection, plugin))).first()
        return _cursor(row) if row else None

    def controls(self) -> dict[tuple[str, str], tuple[bool, int]]:
        """(paused, resume_token) of every plugin: what operators asked for."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(dc.c.collection, dc.c.plugin, dc.c.paused, dc.c.resume_token).where(
                    dc.c.daemon == self.daemon
                )
            ).all()
        return {(r.collection, r.plugin): (bool(r.paused), int(r.resume_token)) for r in rows}

    # -- the daemon's writes ------------------------------------------------------------------------

    def create(
        self,
        collection: str,
        plugin: str,
        *,
        position: int,
        last_event_id: int | None,
        path: str | None,
        pending: tuple[int, ...] = (),
        fence_event_id: int | None = None,
    ) -> Cursor:
        with self.db.write() as conn:
            row = conn.execute(sa.select(dc).where(self._where(collection, plugin))).first()
            if row is None:
                conn.execute(
                    sa.insert(dc).values(
                        daemon=self.daemon,
                        collection=collection,
                        plugin=plugin,
                        position=position,
                        last_event_id=last_event_id,
                        pending=list(pending) or None,
                        done_callbacks=None,
                        fence_event_id=fence_event_id,
                        state="running",
                        paused=False,
                        resume_token=0,
                        last_error=None,
                        error_event_id=None,
                        processed=0,
                        errors=0,
                        path=path,
                        updated_at=utcnow(),
                    )
                )
            row = conn.execute(sa.select(dc).where(self._where(collection, plugin))).one()
        return _cursor(row)

    def advance(
        self,
        collection: str,
        plugin: str,
        *,
        position: int,
        event_id: int,
        handled: int,
        token: int,
        failures: int = 0,
        pending: tuple[int, ...] | None = None,
    ) -> bool:
        """Record events up to ``position`` as done (the worker's periodic commit).

        False when an operator moved or resumed the cursor meanwhile (``resume_token`` changed): the
        worker then re-reads its cursor instead of overwriting the operator's position."""
        params: dict[str, Any] = {
            "k_daemon": self.daemon,
            "k_collection": collection,
            "k_plugin": plugin,
            "k_token": token,
            "new_position": position,
            "new_event_id": event_id,
            "add_handled": handled,
            "add_failures": failures,
            "now": utcnow(),
        }
        statement = _ADVANCE
        if pending is not None:
            statement = _ADVANCE_PENDING
            params["new_pending"] = list(pending) or None
        with self.db.write() as conn:
            if not self.db.is_sqlite:
                # The same trade as the SQLite state database's synchronous=NORMAL: durable against
                # the daemon's death, not the database server's (whose crash can lose the last
                # fraction of a second of cursor moves: they run again, never a skip). A flush
                # per commit cost ~10 ms here, most of a worker's time at ten commits a second.
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            result = conn.execute(statement, params)
        return bool(result.rowcount)

    def fail(
        self, collection: str, plugin: str, *, error: str, event_id: int, done_callbacks: list[str]
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                sa.update(dc)
                .where(self._where(collection, plugin))
                .values(
                    state="failed",
                    last_error=error,
                    error_event_id=event_id,
                    done_callbacks=done_callbacks or None,
                    errors=dc.c.errors + 1,
                    updated_at=utcnow(),
                )
            )

    def note_error(self, collection: str, plugin: str, *, error: str, event_id: int | None) -> None:
        """An error that did not stop the plugin (stopOnError=False, or a load failure)."""
        with self.db.write() as conn:
            conn.execute(
                sa.update(dc)
                .where(self._where(collection, plugin))
                .values(last_error=error, error_event_id=event_id, updated_at=utcnow())
            )

    def set_state(self, collection: str, plugin: str, state: str, *, clear_error: bool = False) -> None:
        values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
        if clear_error:
            values.update(last_error=None, error_event_id=None)
        with self.db.write() as conn:
            conn.execute(sa.update(dc).where(self._where(collection, plugin)).values(**values))

    def set_path(self, collection: str, plugin: str, path: str) -> None:
        with self.db.write() as conn:
            conn.execute(sa.update(dc).where(self._where(collection, plugin)).values(path=path))

    # -- operators' actions -------------------------------------------------------------------------

    def pause(self, collection: str, plugin: str, paused: bool = True) -> bool:
        values: dict[str, Any] = {"paused": paused, "updated_at": utcnow()}
        if not paused:
            values["resume_token"] = dc.c.resume_token + 1
        with self.db.write() as conn:
            result = conn.execute(sa.update(dc).where(self._where(collection, plugin)).values(**values))
        return bool(result.rowcount)

    def move(self, collection: str, plugin: str, *, position: int, last_event_id: int | None) -> bool:
        """Set a cursor by hand (``--from-event-id``, reset): forward or backward, pending cleared."""
        with self.db.write() as conn:
            result = conn.execute(
                sa.update(dc)
                .where(self._where(collection, plugin))
                .values(
                    position=position,
                    last_event_id=last_event_id,
                    pending=None,
                    done_callbacks=_MOVED,
                    resume_token=dc.c.resume_token + 1,
                    updated_at=utcnow(),
                )
            )
        return bool(result.rowcount)

    def put(
        self,
        collection: str,
        plugin: str,
        *,
        position: int,
        last_event_id: int | None,
        pending: tuple[int, ...],
        fence_event_id: int | None = None,
    ) -> None:
        """Create or overwrite a cursor (``import-state``)."""
        if self.get(collection, plugin) is None:
            self.create(
                collection,
                plugin,
                position=position,
                last_event_id=last_event_id,
                path=None,
                pending=pending,
                fence_event_id=fence_event_id,
            )
            return
        with self.db.write() as conn:
            conn.execute(
                sa.update(dc)
                .where(self._where(collection, plugin))
                .values(
                    position=position,
                    last_event_id=last_event_id,
                    pending=list(pending) or None,
                    done_callbacks=_MOVED,
                    fence_event_id=fence_event_id,
                    state="running",
                    last_error=None,
                    error_event_id=None,
                    resume_token=dc.c.resume_token + 1,
                    updated_at=utcnow(),
                )
            )

    # -- the daemon process -------------------------------------------------------------------------

    def claim(self, source: str) -> None:
        """Register this process as the daemon; ``DaemonBusy`` if another live one holds the name."""
        now = utcnow()
        host, pid = socket.gethostname(), os.getpid()
        with self.db.write() as conn:
            row = conn.execute(sa.select(di).where(di.c.daemon == self.daemon)).first()
            if row is not None and row.stopped_at is None and now - row.heartbeat_at < STALE_AFTER:
                alive = row.host != host or _pid_alive(int(row.pid))
                if alive and (row.host, row.pid) != (host, pid):
                    raise DaemonBusy(
                        f"daemon {self.daemon!r} is already running (pid {row.pid} on {row.host}, "
                        f"heartbeat {row.heartbeat_at:%H:%M:%S} UTC); stop it or use another [shotlog] name"
                    )
            values = {
                "host": host,
                "pid": pid,
                "source": source,
                "head_position": row.head_position if row else 0,
                "head_event_id": row.head_event_id if row else 0,
                "started_at": now,
                "heartbeat_at": now,
                "stopped_at": None,
            }
            if row is None:
                conn.execute(sa.insert(di).values(daemon=self.daemon, **values))
            else:
                conn.execute(sa.update(di).where(di.c.daemon == self.daemon).values(**values))

    def heartbeat(self, head_position: int, head_event_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                sa.update(di)
                .where(di.c.daemon == self.daemon, di.c.pid == os.getpid())
                .values(heartbeat_at=utcnow(), head_position=head_position, head_event_id=head_event_id)
            )

    def release(self) -> None:
        with self.db.write() as conn:
            conn.execute(
                sa.update(di)
                .where(di.c.daemon == self.daemon, di.c.pid == os.getpid())
                .values(stopped_at=utcnow())
            )

    def instance(self) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(di).where(di.c.daemon == self.daemon)).first()
        return dict(row._mapping) if row else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
