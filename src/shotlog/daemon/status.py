"""What every plugin of every daemon is doing, and the operator's actions on it.

This is the small, typed API the CLI (``shotlog daemon status``), the REST endpoint
(``GET /api/v1/daemon/plugins``) and the web UI share. It reads the state database only, so it
works whether or not the daemon is running, from any process:

* ``read_status(db)`` → ``list[DaemonStatus]``, each with its ``PluginStatus`` rows;
* ``pause(db, daemon, plugin)``, ``resume(db, daemon, plugin)``: the running daemon notices within
  a second; ``resume`` also retries a plugin stopped by an error (``stopOnError=True``);
* ``replay(db, daemon, plugin, from_event_id)``: move the plugin's cursor back (or forward) so it
  processes again from that event.

A plugin name is enough when it is unique in its daemon; otherwise pass ``collection`` too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from shotlog.clock import utcnow
from shotlog.daemon.cursors import STALE_AFTER, Cursor, CursorStore
from shotlog.store.database import Database
from shotlog.store.tables import daemon_cursors as dc
from shotlog.store.tables import daemon_instances as di
from shotlog.store.tables import daemon_journal as dj

__all__ = [
    "DaemonStatus",
    "PluginNotFound",
    "PluginStatus",
    "find_plugin",
    "pause",
    "read_status",
    "replay",
    "resume",
]

#: every value PluginStatus.state takes
STATES = ("running", "paused", "failed", "load_error", "missing", "stopped")


class PluginNotFound(LookupError):
    """No such plugin (or an ambiguous name): the message says which."""


@dataclass(frozen=True)
class PluginStatus:
    daemon: str
    collection: str  # the plugin directory as configured
    plugin: str
    #: running | paused (by an operator) | failed (stopOnError, waiting for a fix or resume) |
    #: load_error (import or registerCallbacks failed) | missing (file gone) | stopped (daemon down)
    state: str
    paused: bool
    position: int  # the cursor: last position processed in the daemon's source
    last_event_id: int | None  # id of the last event processed
    lag: int | None  # events between the cursor and the head of the log (None: unknown)
    last_error: str | None
    error_event_id: int | None
    processed: int  # events handled (callbacks ran), since the cursor was created
    errors: int
    path: str | None
    updated_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["updated_at"] = self.updated_at.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
        return out


@dataclass(frozen=True)
class DaemonStatus:
    daemon: str
    running: bool  # a live process holds it (heartbeat within the last 15 s)
    host: str | None
    pid: int | None
    source: str | None
    head_event_id: int | None
    heartbeat_at: dt.datetime | None
    plugins: list[PluginStatus]

    def as_dict(self) -> dict[str, Any]:
        beat = self.heartbeat_at
        return {
            "daemon": self.daemon,
            "running": self.running,
            "host": self.host,
            "pid": self.pid,
            "source": self.source,
            "head_event_id": self.head_event_id,
            "heartbeat_at": beat.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z") if beat else None,
            "plugins": [p.as_dict() for p in self.plugins],
        }


def read_status(
    db: Database, daemon: str | None = None, *, head_event_id: int | None = None
) -> list[DaemonStatus]:
    """Every daemon (or one) with its plugins. ``head_event_id`` overrides the head the daemon saw."""
    with db.read() as conn:
        q = sa.select(dc)
        qi = sa.select(di)
        if daemon is not None:
            q, qi = q.where(dc.c.daemon == daemon), qi.where(di.c.daemon == daemon)
        rows = conn.execute(q.order_by(dc.c.daemon, dc.c.collection, dc.c.plugin)).all()
        instances = {r.daemon: r for r in conn.execute(qi).all()}
        journal_head = dict(
            conn.execute(sa.select(dj.c.daemon, sa.func.max(dj.c.seq)).group_by(dj.c.daemon)).all()
        )
    names = sorted({r.daemon for r in rows} | set(instances))
    now = utcnow()
    out = []
    for name in names:
        inst = instances.get(name)
        running = bool(inst and inst.stopped_at is None and now - inst.heartbeat_at < STALE_AFTER)
        head = head_event_id if head_event_id is not None else (inst.head_event_id if inst else None)
        head_pos = inst.head_position if inst else None
        if inst is not None and inst.source == "api3":
            head_pos = journal_head.get(name, head_pos)
        plugins = []
        for r in (r for r in rows if r.daemon == name):
            state = r.state if running else "stopped"
            if inst is not None and inst.source == "api3":
                lag = None if head_pos is None else max(0, int(head_pos) - int(r.position))
            else:
                lag = None if head is None else max(0, int(head) - int(r.position))
            plugins.append(
                PluginStatus(
                    daemon=name,
                    collection=r.collection,
                    plugin=r.plugin,
                    state=state,
                    paused=bool(r.paused),
                    position=int(r.position),
                    last_event_id=r.last_event_id,
                    lag=lag,
                    last_error=r.last_error,
                    error_event_id=r.error_event_id,
                    processed=int(r.processed),
                    errors=int(r.errors),
                    path=r.path,
                    updated_at=r.updated_at,
                )
            )
        out.append(
            DaemonStatus(
                daemon=name,
                running=running,
                host=inst.host if inst else None,
                pid=inst.pid if inst else None,
                source=inst.source if inst else None,
                head_event_id=head,
                heartbeat_at=inst.heartbeat_at if inst else None,
                plugins=plugins,
            )
        )
    return out


def find_plugin(db: Database, daemon: str, plugin: str, collection: str | None = None) -> Cursor:
    """The plugin's cursor row; ``PluginNotFound`` when unknown or ambiguous. The actions below
    return the row as it is after the action."""
    store = CursorStore(db, daemon)
    found = [
        c for c in store.all() if c.plugin == plugin and (collection is None or c.collection == collection)
    ]
    if not found:
        where = f" in {collection!r}" if collection else ""
        raise PluginNotFound(f"daemon {daemon!r} has no plugin {plugin!r}{where}")
    if len(found) > 1:
        dirs = ", ".join(repr(c.collection) for c in found)
        raise PluginNotFound(f"plugin {plugin!r} is in several directories ({dirs}): name the collection")
    return found[0]


def pause(db: Database, daemon: str, plugin: str, collection: str | None = None) -> Cursor:
    cur = find_plugin(db, daemon, plugin, collection)
    CursorStore(db, daemon).pause(cur.collection, cur.plugin, True)
    return find_plugin(db, daemon, plugin, cur.collection)


def resume(db: Database, daemon: str, plugin: str, collection: str | None = None) -> Cursor:
    cur = find_plugin(db, daemon, plugin, collection)
    CursorStore(db, daemon).pause(cur.collection, cur.plugin, False)
    return find_plugin(db, daemon, plugin, cur.collection)


def replay(
    db: Database, daemon: str, plugin: str, from_event_id: int, collection: str | None = None
) -> Cursor:
    """Process again from ``from_event_id`` (direct and stream sources: positions are event ids)."""
    if from_event_id < 1:
        raise ValueError(f"from_event_id must be a positive event id, got {from_event_id}")
    cur = find_plugin(db, daemon, plugin, collection)
    with db.read() as conn:
        source = conn.execute(sa.select(di.c.source).where(di.c.daemon == daemon)).scalar()
        if source == "api3":
            seq = conn.execute(
                sa.select(sa.func.min(dj.c.seq)).where(dj.c.daemon == daemon, dj.c.event_id >= from_event_id)
            ).scalar()
            if seq is None:
                raise ValueError(f"event {from_event_id} is not in daemon {daemon!r}'s journal any more")
            position = int(seq) - 1
        else:
            position = from_event_id - 1
    CursorStore(db, daemon).move(
        cur.collection, cur.plugin, position=position, last_event_id=from_event_id - 1
    )
    return cur
