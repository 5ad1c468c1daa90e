"""Reading shotgunEvents' state file (``eventIdFile``) so a studio switches without a gap or a repeat.

The file is a pickle: ``{collection path: {plugin name: (last id or None, {backlog id: expiry})}}``
with naive local-time expiries; very old daemons wrote a single "last id" line instead. Unlike
upstream, an empty, truncated or unreadable file is an error with a clear message, never "start at
the newest event".

It is imported by ``shotlog daemon import-state FILE``, or by the daemon itself on the first run of
its name when the file sits at ``[daemon] eventIdFile`` (``adopt_event_id_file``).
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shotlog.daemon.conf import DaemonConfig
from shotlog.daemon.cursors import CursorStore
from shotlog.daemon.plugins import discover
from shotlog.store.database import Database
from shotlog.store.tables import daemon_cursors, daemon_feeds, daemon_journal

__all__ = [
    "Imported",
    "LegacyState",
    "LegacyStateError",
    "PluginState",
    "adopt_event_id_file",
    "plan_import",
    "read_legacy_state",
]


class LegacyStateError(ValueError):
    pass


@dataclass(frozen=True)
class PluginState:
    last_id: int | None
    backlog: tuple[int, ...]  # unexpired backlog ids: events still to process


@dataclass
class LegacyState:
    #: collection (as configured upstream) -> plugin -> state; empty for the one-line format
    collections: dict[str, dict[str, PluginState]] = field(default_factory=dict)
    #: the one-line legacy format: this id applies to every plugin
    single_id: int | None = None

    def lookup(self, collection: str, plugin: str) -> PluginState | None:
        """Exact collection path first, then the same plugin name in any collection (highest id)."""
        if self.single_id is not None:
            return PluginState(self.single_id, ())
        found = self.collections.get(collection, {}).get(plugin)
        if found is not None and found.last_id is not None:
            return found
        candidates = [
            c[plugin] for c in self.collections.values() if plugin in c and c[plugin].last_id is not None
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda s: s.last_id or 0)


def read_legacy_state(path: Path, *, now: dt.datetime | None = None) -> LegacyState:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LegacyStateError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if not data.strip():
        raise LegacyStateError(f"{str(path)!r} is empty: it holds no state to import")
    now = now or dt.datetime.now()  # upstream's expiries are naive local times
    try:
        try:
            loaded = pickle.loads(data)
        except UnicodeDecodeError:
            loaded = pickle.loads(data, encoding="latin1")
    except Exception:
        first = data.splitlines()[0].strip() if data.splitlines() else b""
        try:
            return LegacyState(single_id=int(first))
        except ValueError:
            raise LegacyStateError(
                f"{str(path)!r} is neither a shotgunEvents state pickle nor a one-line event id "
                f"(first bytes {data[:20]!r})"
            ) from None
    if isinstance(loaded, int) and not isinstance(loaded, bool):
        return LegacyState(single_id=loaded)
    if not isinstance(loaded, Mapping):
        raise LegacyStateError(
            f"{str(path)!r} holds a {type(loaded).__name__}, not shotgunEvents' state dict"
        )
    state = LegacyState()
    for collection, plugins in loaded.items():
        if not isinstance(collection, str) or not isinstance(plugins, Mapping):
            raise LegacyStateError(f"{str(path)!r}: entry {collection!r} is not a plugin directory's state")
        out: dict[str, PluginState] = {}
        for name, value in plugins.items():
            out[str(name)] = _plugin_state(path, collection, name, value, now)
        state.collections[collection] = out
    return state


def _plugin_state(path: Path, collection: str, name: Any, value: Any, now: dt.datetime) -> PluginState:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise LegacyStateError(f"{str(path)!r}: {collection}/{name} is {value!r}, not (last id, backlog)")
    last_id, backlog = value
    if last_id is not None and (isinstance(last_id, bool) or not isinstance(last_id, int)):
        raise LegacyStateError(f"{str(path)!r}: {collection}/{name} last id {last_id!r} is not an integer")
    if not isinstance(backlog, Mapping):
        raise LegacyStateError(f"{str(path)!r}: {collection}/{name} backlog {backlog!r} is not a dict")
    pending = []
    for eid, expiry in backlog.items():
        if not isinstance(eid, int):
            raise LegacyStateError(f"{str(path)!r}: {collection}/{name} backlog id {eid!r} is not an integer")
        if isinstance(expiry, dt.datetime):
            naive = (
                expiry.replace(tzinfo=None)
                if expiry.tzinfo is None
                else expiry.astimezone().replace(tzinfo=None)
            )
            if naive <= now:
                continue  # upstream would have given up on it already
        pending.append(eid)
    return PluginState(last_id, tuple(sorted(pending)))


@dataclass(frozen=True)
class Imported:
    collection: str
    plugin: str
    last_id: int | None  # None: no state for it, it will start at the newest event
    pending: tuple[int, ...]


def plan_import(collections: Sequence[tuple[str, Path]], legacy: LegacyState) -> list[Imported]:
    """What each plugin file of the configured directories takes from the legacy state."""
    out: list[Imported] = []
    for collection, file in discover(list(collections)):
        found = legacy.lookup(collection, file.stem) or legacy.lookup(str(file.parent), file.stem)
        if found is None or found.last_id is None:
            out.append(Imported(collection, file.stem, None, ()))
        else:
            out.append(Imported(collection, file.stem, found.last_id, found.backlog))
    return out


def write_import(
    config: DaemonConfig,
    state_db: Database,
    cursors: CursorStore,
    legacy: LegacyState,
    *,
    newest_event_id: int | None = None,
) -> list[Imported]:
    """Write the cursors of every plugin file of ``config`` from ``legacy`` (the name is claimed).

    With the polling source the journal restarts after the lowest imported id, so a plugin the
    file does not know would start there; given ``newest_event_id`` it is fenced there instead,
    and starts at the newest event as it would without an import."""
    out = plan_import(list(zip(config.plugin_path_names, config.plugin_paths, strict=True)), legacy)
    known = [i for i in out if i.last_id is not None]
    if config.source == "api3":
        # Positions are journal numbers: start the journal after the lowest imported id and
        # fence each plugin at its own id, so no plugin runs an event shotgunEvents ran.
        low = min((i.last_id for i in known if i.last_id is not None), default=None)
        holes = sorted({e for i in known for e in i.pending})
        with state_db.write() as conn:
            conn.execute(sa.delete(daemon_journal).where(daemon_journal.c.daemon == config.name))
            conn.execute(sa.delete(daemon_feeds).where(daemon_feeds.c.daemon == config.name))
            if low is not None:
                deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=config.gap_timeout)
                conn.execute(
                    sa.insert(daemon_feeds).values(
                        daemon=config.name,
                        max_seen_id=low,
                        holes={str(h): deadline.isoformat() for h in holes if h <= low},
                        seq=0,
                    )
                )
        for i in known:
            assert i.last_id is not None
            cursors.put(
                i.collection,
                i.plugin,
                position=0,
                last_event_id=i.last_id,
                pending=i.pending,
                fence_event_id=i.last_id,
            )
        if newest_event_id is not None and known:
            for i in out:
                if i.last_id is None:
                    cursors.put(
                        i.collection,
                        i.plugin,
                        position=0,
                        last_event_id=newest_event_id,
                        pending=(),
                        fence_event_id=newest_event_id,
                    )
    else:
        for i in known:
            assert i.last_id is not None
            cursors.put(
                i.collection, i.plugin, position=i.last_id, last_event_id=i.last_id, pending=i.pending
            )
    return out


def has_state(state_db: Database, daemon: str) -> bool:
    """Whether the daemon ``daemon`` has cursors or a polling journal in ``state_db`` already."""
    with state_db.read() as conn:
        for table in (daemon_cursors, daemon_feeds):
            found = conn.execute(sa.select(table.c.daemon).where(table.c.daemon == daemon).limit(1)).first()
            if found is not None:
                return True
    return False


def check_same_site(path: Path, legacy: LegacyState, newest_event_id: int) -> None:
    """Refuse a state file whose ids the event source never reached: it comes from another site,
    and importing it would hold every plugin back until the log caught up with those ids."""
    ids = [s.last_id for c in legacy.collections.values() for s in c.values() if s.last_id is not None]
    if legacy.single_id is not None:
        ids.append(legacy.single_id)
    ahead = max(ids, default=0)
    if ahead > newest_event_id:
        raise LegacyStateError(
            f"{str(path)!r} says event {ahead} was processed, but the newest event of the source is "
            f"{newest_event_id}: the file comes from another site. Move it away to start at the "
            "newest event, or point [shotgun] server at the site it belongs to"
        )


def adopt_event_id_file(
    config: DaemonConfig, state_db: Database, cursors: CursorStore, newest_event_id: Callable[[], int]
) -> list[Imported] | None:
    """On the first run of a daemon name, import the shotgunEvents state found at ``eventIdFile``.

    None when there is nothing to do: no ``eventIdFile`` configured or present, or this daemon
    already has state (a later run, or an explicit ``import-state``). An empty or unreadable file
    is a ``LegacyStateError``: the daemon does not start rather than skip to the newest event.
    The file is only read, never written (shotgunEvents can still be started on it).
    """
    path = config.event_id_file
    if path is None or not path.exists() or has_state(state_db, config.name):
        return None
    try:
        legacy = read_legacy_state(path)
        newest = newest_event_id()
        check_same_site(path, legacy, newest)
    except LegacyStateError as exc:
        raise LegacyStateError(
            f"[daemon] eventIdFile: {exc} (the daemon imports it on its first run; remove the file "
            "to start every plugin at the newest event instead)"
        ) from None
    return write_import(config, state_db, cursors, legacy, newest_event_id=newest)
