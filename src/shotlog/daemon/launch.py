"""Putting a daemon together from its configuration: state database, source, engine.

``open_state`` and ``make_pump`` are shared by ``shotlog daemon run`` and the other commands
(``status``, ``import-state``, ``replay``) so they all look at the same database the same way.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import shotlog
from shotlog.daemon.alerts import AlertHandler, Mailer
from shotlog.daemon.conf import DaemonConfig
from shotlog.daemon.cursors import CursorStore
from shotlog.daemon.logs import LogSetup
from shotlog.daemon.registrar import Connector
from shotlog.daemon.runner import Engine, install_signal_handlers
from shotlog.daemon.sources.direct import DirectPump
from shotlog.daemon.sources.feed import Feed, Pump
from shotlog.daemon.sources.polling import Api3Pump, Retry
from shotlog.daemon.sources.stream import StreamPump
from shotlog.store.database import Database
from shotlog.store.migrate import upgrade

__all__ = ["Daemon", "build_engine", "make_connector", "open_state", "run_daemon", "state_session"]

log = logging.getLogger("engine")


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
        return DirectPump(store, config.database_url, batch=config.max_event_batch_size)
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


def _head(pump: Pump, config: DaemonConfig, stop: Any = None) -> tuple[int, int]:
    """The newest position, retried with back-off while the source is unreachable (never a crash)."""
    retry = Retry(config.max_conn_retries, config.conn_retry_sleep)
    while True:
        try:
            return pump.head()
        except Exception as exc:
            delay = retry.failed("Reaching the event source", exc)
            if stop is not None and stop():
                raise
            time.sleep(delay)


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

    try:
        cursors = CursorStore(state, config.name)
        cursors.claim(config.source)
        pump = make_pump(config, state, store)
        if isinstance(pump, Api3Pump):
            # a new journal starts at the site's newest event, or just before --from-event-id
            pump.init(None if from_event_id is None else from_event_id - 1)
        head_position, _ = _head(pump, config)
        feed = Feed(pump, batch=config.max_event_batch_size)
        engine = Engine(config, cursors, feed, make_connector(config), logs=logs, from_event_id=from_event_id)
        engine.closers.append(close)
        engine.start(head_position)
    except BaseException:
        close()
        raise
    return engine


class Daemon:
    """A started engine with its log files and email alerts: ``run()`` blocks until ``stop()``."""

    def __init__(self, config: DaemonConfig, *, foreground: bool, from_event_id: int | None = None) -> None:
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

    def stop(self) -> None:
        self.engine.stop()


def run_daemon(config: DaemonConfig, *, foreground: bool, from_event_id: int | None = None) -> None:
    """``shotlog daemon run``: start, install SIGTERM/SIGINT/SIGHUP handlers, run until stopped."""
    daemon = Daemon(config, foreground=foreground, from_event_id=from_event_id)
    install_signal_handlers(daemon.engine)
    daemon.run()
