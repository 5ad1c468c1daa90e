"""Putting a daemon together from its configuration: state database, source, engine.

``open_state`` and ``make_pump`` are shared by ``shotlog daemon run`` and the other commands
(``status``, ``import-state``, ``replay``) so they all look at the same database the same way.
On the first run of a daemon name, the shotgunEvents state found at ``[daemon] eventIdFile`` is
imported before any plugin starts (``legacy.adopt_event_id_file``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import shotlog
from shotlog.daemon.alerts import AlertHandler, Mailer
from shotlog.daemon.conf import FROM_EVENT_ID_FILE, DaemonConfig
from shotlog.daemon.cursors import CursorStore
from shotlog.daemon.engine import Engine, install_signal_handlers
from shotlog.daemon.legacy import (
    Imported,
    LegacyState,
    LegacyStateError,
    adopt_event_id_file,
    check_same_site,
    write_import,
)
from shotlog.daemon.logs import LogSetup
from shotlog.daemon.registrar import Connector
from shotlog.daemon.sources.direct import DirectPump
from shotlog.daemon.sources.feed import Feed, Pump
from shotlog.daemon.sources.polling import Api3Pump
from shotlog.daemon.sources.retry import Retry
from shotlog.daemon.sources.stream import StreamPump
from shotlog.store.database import Database
from shotlog.store.migrate import upgrade

__all__ = [
    "Daemon",
    "build_engine",
    "import_state",
    "make_connector",
    "make_pump",
    "newest_event_id",
    "open_state",
    "run_daemon",
    "state_session",
]

log = logging.getLogger("engine")
T = TypeVar("T")

#: the collector's third threshold while a daemon runs (Python's default: 10), see ``Daemon``
FULL_COLLECTION_EVERY = 100


def open_state(config: DaemonConfig) -> tuple[Database, Any]:
    """(state database, shotlog store or None). The direct source keeps cursors next to the data."""
    if config.source == "direct":
        assert config.database_url is not None
        store = shotlog.connect(config.database_url, sqlite_synchronous="NORMAL")
        if config.state_url and config.state_url != config.database_url:
            db = Database(config.state_url, sqlite_synchronous="NORMAL")
            upgrade(db, defaults=False)
            return db, store
        return store.db, store
    if config.state_url is not None and config.state_origin == FROM_EVENT_ID_FILE:
        assert config.event_id_file is not None
        # the directory of shotgunEvents' state file may not exist yet (it wrote none so far)
        config.event_id_file.parent.mkdir(parents=True, exist_ok=True)
    db = Database(config.state_database_url, sqlite_synchronous="NORMAL")
    upgrade(db, defaults=False)
    return db, None


@contextlib.contextmanager
def state_session(config: DaemonConfig) -> Iterator[tuple[Database, Any]]:
    """``open_state`` for a command: both connections closed when the block ends."""
    state, store = open_state(config)
    try:
        yield state, store
    finally:
        if store is not None:
            store.close()
        if store is None or state is not store.db:
            state.dispose()


def make_connector(config: DaemonConfig) -> Connector:
    """Each callback's own shotgun_api3 connection, made on first use (no network call)."""

    def connect(script_name: str, script_key: str) -> Any:
        from shotgun_api3.shotgun import Shotgun

        sg = Shotgun(
            config.server,
            script_name=script_name,
            api_key=script_key,
            http_proxy=config.proxy_server,
            connect=False,
        )
        sg.config.timeout_secs = config.socket_timeout
        return sg

    return connect


def make_pump(config: DaemonConfig, state: Database, store: Any) -> Pump:
    retry = Retry(config.max_conn_retries, config.conn_retry_sleep)
    if config.source == "direct":
        assert config.database_url is not None
        return DirectPump(store, config.database_url, batch=config.max_event_batch_size, retry=retry)
    assert config.script_name and config.script_key
    if config.source == "stream":
        return StreamPump(
            config.server,
            config.script_name,
            config.script_key,
            batch=config.max_event_batch_size,
            timeout=config.socket_timeout,
            retry=retry,
        )
    engine_connect = make_connector(config)
    name, key = config.script_name, config.script_key
    return Api3Pump(
        lambda: engine_connect(name, key),
        state,
        config.name,
        batch=config.max_event_batch_size,
        interval=config.fetch_interval,
        gap_timeout=config.gap_timeout,
        retry=retry,
    )


def _retrying(what: Callable[[], T], config: DaemonConfig, stop: Any = None) -> T:
    """``what()``, retried with back-off while the source is unreachable (never a crash)."""
    retry = Retry(config.max_conn_retries, config.conn_retry_sleep)
    while True:
        try:
            return what()
        except Exception as exc:
            delay = retry.failed("Reaching the event source", exc)
            if stop is not None and stop():
                raise
            time.sleep(delay)


def _head(pump: Pump, config: DaemonConfig, stop: Any = None) -> tuple[int, int]:
    """The newest position, retried with back-off while the source is unreachable."""
    return _retrying(pump.head, config, stop)


def newest_event_id(pump: Pump) -> int:
    """The source's newest event id (one attempt), also before the polling source has a journal."""
    if isinstance(pump, Api3Pump):
        row = pump.sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
        return int(row["id"]) if row else 0
    return pump.head()[1]


def _report_import(imported: list[Imported], config: DaemonConfig) -> None:
    log.info(
        "First run of daemon %r: importing shotgunEvents' state from %s", config.name, config.event_id_file
    )
    for item in imported:
        if item.last_id is None:
            log.info(
                "  %s/%s: no state in the file; starts at the newest event", item.collection, item.plugin
            )
        else:
            extra = f", {len(item.pending)} backlog id(s) still to process" if item.pending else ""
            log.info("  %s/%s: continues after event %d%s", item.collection, item.plugin, item.last_id, extra)


def build_engine(
    config: DaemonConfig,
    *,
    foreground: bool = True,
    from_event_id: int | None = None,
    logs: LogSetup | None = None,
) -> Engine:
    """Everything up to a started engine (plugins loaded, workers running); call ``run()`` next."""
    state, store = open_state(config)

    def close() -> None:
        if store is not None:
            store.close()
        if store is None or state is not store.db:
            state.dispose()

    cursors: CursorStore | None = None
    pump: Pump | None = None
    try:
        for note in config.warnings:
            log.warning("%s", note)
        if config.state_origin == FROM_EVENT_ID_FILE:
            log.info("Cursors are kept in %s (next to [daemon] eventIdFile)", config.state_url)
        cursors = CursorStore(state, config.name)
        cursors.claim(config.source)
        pump = make_pump(config, state, store)
        if from_event_id is None:  # an explicit start position wins over any imported state
            source = pump
            imported = adopt_event_id_file(
                config, state, cursors, lambda: _retrying(lambda: newest_event_id(source), config)
            )
            if imported is not None:
                _report_import(imported, config)
        if isinstance(pump, Api3Pump):
            # a new journal starts at the site's newest event, or just before --from-event-id
            pump.init(None if from_event_id is None else from_event_id - 1)
        head_position, _ = _head(pump, config)
        feed = Feed(pump, batch=config.max_event_batch_size)
        engine = Engine(config, cursors, feed, make_connector(config), logs=logs, from_event_id=from_event_id)
        engine.closers.append(close)
        engine.start(head_position)
    except BaseException:
        if pump is not None:
            with contextlib.suppress(Exception):
                pump.close()
        if cursors is not None:
            with contextlib.suppress(Exception):
                cursors.release()  # the name is free again at once, not after a stale heartbeat
        close()
        raise
    return engine


class Daemon:
    """A started engine with its log files and email alerts: ``run()`` blocks until ``stop()``."""

    def __init__(self, config: DaemonConfig, *, foreground: bool, from_event_id: int | None = None) -> None:
        # Process-wide, so set here, around the daemon's whole life, not by the engine: events
        # stream through the feed's buffer (a few objects each) and outlive the collector's young
        # generations, so with the default thresholds full collections, which walk every object of
        # the process, ran often enough to cost a third of a drain's CPU. Fewer full passes
        # (cyclic garbage is still collected, a little later); restored when the daemon stops.
        self._gc_threshold = gc.get_threshold()
        young, middle, full = self._gc_threshold
        gc.set_threshold(young, middle, max(full, FULL_COLLECTION_EVERY))
        self.logs = LogSetup(config, foreground=foreground)
        self.logs.start()
        self.alert: AlertHandler | None = None
        try:
            if config.emails is not None:
                self.alert = AlertHandler(
                    Mailer(config.emails), interval=config.email_interval, recipients=self._recipients
                )
                for name in ("engine", "plugin"):
                    self.logs.attach(logging.getLogger(name), self.alert)
            self.engine = build_engine(
                config, foreground=foreground, from_event_id=from_event_id, logs=self.logs
            )
        except BaseException:
            self.logs.close()
            gc.set_threshold(*self._gc_threshold)
            raise

    def _recipients(self, record: logging.LogRecord) -> tuple[str, ...] | None:
        """A plugin's own recipients (``reg.setEmails``); None = the configured list."""
        parts = record.name.split(".")
        if parts[0] != "plugin" or len(parts) < 2 or not hasattr(self, "engine"):
            return None
        for worker in list(self.engine.workers.values()):
            if worker.plugin.name == parts[1]:
                return worker.plugin.emails
        return None

    def run(self) -> None:
        try:
            self.engine.run()
        finally:
            self.logs.close()
            gc.set_threshold(*self._gc_threshold)

    def stop(self) -> None:
        self.engine.stop()


def import_state(config: DaemonConfig, legacy: LegacyState, path: Path) -> list[Imported]:
    """``shotlog daemon import-state``: write cursors from ``legacy`` (read from ``path``); the
    daemon must be stopped. Refused when the file is ahead of the source's log (another site)."""
    with state_session(config) as (state_db, store):
        cursors = CursorStore(state_db, config.name)
        cursors.claim("import")  # refuses (DaemonBusy) while a daemon of this name runs
        try:
            pump = make_pump(config, state_db, store)
            try:
                newest = newest_event_id(pump)
            except Exception as exc:
                raise LegacyStateError(
                    f"cannot read the newest event of the source to check {str(path)!r} against it: {exc}"
                ) from None
            finally:
                pump.close()
            check_same_site(path, legacy, newest)
            return write_import(config, state_db, cursors, legacy, newest_event_id=newest)
        finally:
            cursors.release()


def run_daemon(config: DaemonConfig, *, foreground: bool, from_event_id: int | None = None) -> None:
    """``shotlog daemon run``: start, install SIGTERM/SIGINT/SIGHUP handlers, run until stopped."""
    daemon = Daemon(config, foreground=foreground, from_event_id=from_event_id)
    install_signal_handlers(daemon.engine)
    daemon.run()
