"""The engine: loads the plugins, runs one ``Worker`` per plugin on the one shared feed, and a
control loop that relays operators' controls (pause, resume, moves), beats the heartbeat, prunes
the polling journal and reloads changed plugins (``Reloader``)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shotlog.daemon.conf import DaemonConfig
from shotlog.daemon.cursors import CursorStore
from shotlog.daemon.logs import LogSetup
from shotlog.daemon.plugins import Plugin, discover, load_plugin
from shotlog.daemon.progress import ProgressFile, progress_path
from shotlog.daemon.registrar import Connector
from shotlog.daemon.reloader import Reloader
from shotlog.daemon.sources.feed import Feed
from shotlog.daemon.worker import Worker

__all__ = ["Engine", "install_signal_handlers"]

log = logging.getLogger("engine")


class Engine:
    """Loads the plugins, runs a worker per plugin, watches files and operator controls."""

    def __init__(
        self,
        config: DaemonConfig,
        cursors: CursorStore,
        feed: Feed,
        connector: Connector,
        *,
        logs: LogSetup | None = None,
        from_event_id: int | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.cursors = cursors
        self.feed = feed
        self.connector = connector
        self.logs = logs
        self.from_event_id = from_event_id
        self.batch = config.max_event_batch_size
        self.workers: dict[tuple[str, str], Worker] = {}
        self._stop = threading.Event()
        self.reloader = Reloader(config.plugin_paths, hot=config.hot_reload, stop=self._stop)
        self.on_start = on_start
        self.config_view = config.plugin_view()
        #: called last on shutdown (closing the database connections the engine was built with)
        self.closers: list[Callable[[], None]] = []

    # -- plugins ------------------------------------------------------------------------------------

    def progress_file(self, key: tuple[str, str]) -> ProgressFile:
        collection, plugin = key
        directory = self.config.cursor_directory
        return ProgressFile(
            progress_path(directory, self.cursors.db.url, self.config.name, collection, plugin)
        )

    def load(self, collection: str, path: Path) -> Plugin:
        plugin = load_plugin(
            collection, path, level=self.config.log_level, config=self.config_view, connector=self.connector
        )
        if self.logs is not None and plugin.logger is not None:
            self.logs.plugin(plugin.logger, plugin.name)
        return plugin

    def _collections(self) -> list[tuple[str, Path]]:
        return list(zip(self.config.plugin_path_names, self.config.plugin_paths, strict=True))

    def _add(self, collection: str, path: Path, start_position: int) -> Worker:
        plugin = self.load(collection, path)
        cursor = self.cursors.get(collection, plugin.name)
        if cursor is None:
            cursor = self.cursors.create(
                collection, plugin.name, position=start_position, last_event_id=None, path=str(path)
            )
        elif cursor.path != str(path):
            self.cursors.set_path(collection, plugin.name, str(path))
        worker = Worker(self, plugin, cursor)
        self.workers[worker.key] = worker
        return worker

    def _plugins(self) -> list[Plugin]:
        return [w.plugin for w in list(self.workers.values())]

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self, head_position: int) -> None:
        """Load every plugin, set up cursors, start the feed and the workers."""
        for collection, path in discover(self._collections()):
            start = head_position
            if self.from_event_id is not None:
                start = self._position_of(self.from_event_id)
            worker = self._add(collection, path, start)
            if self.from_event_id is not None:
                self.cursors.move(*worker.key, position=start, last_event_id=self.from_event_id - 1)
                fresh = self.cursors.get(*worker.key)
                assert fresh is not None
                worker.reset_to(fresh)
        positions = [w.position for w in self.workers.values()]
        self.feed.low_water = self._low_water
        # Ordered sources push a backlog through the shared buffer from the most advanced cursor
        # (workers behind it read directly until they catch up); the polling source's backlog is
        # already in its journal, so its feed starts at the journal's head.
        if self.feed.pump.ordered and positions:
            self.feed.start(min(max(positions), head_position))
        else:
            self.feed.start(head_position)
        for worker in self.workers.values():
            worker.start()
        log.info(
            "shotlog daemon %r started: %d plugin(s), source %s",
            self.config.name,
            len(self.workers),
            self.feed.pump.kind,
        )

    def _position_of(self, event_id: int) -> int:
        pump = self.feed.pump
        position_of = getattr(pump, "position_of", None)
        if position_of is not None:
            found = position_of(event_id)
            if found is None:
                raise ValueError(f"--from-event-id {event_id}: that event is not in the polling journal")
            return int(found)
        return event_id - 1

    def _low_water(self) -> int | None:
        """How far the feed may run ahead: measured from the *most* advanced running worker, so a
        slow plugin never holds the others back (it falls behind the buffer and reads directly)."""
        positions = [w.position for w in list(self.workers.values()) if w.runnable]
        return max(positions) if positions else None

    def stop(self) -> None:
        self._stop.set()

    def request_reload(self, path: Path | None = None) -> None:
        self.reloader.request(path)

    def run(self) -> None:
        """The control loop, until ``stop()`` (or SIGTERM/SIGINT when run from the CLI)."""
        if self.on_start is not None:
            self.on_start()
        self.reloader.start(self._plugins())
        last_beat = 0.0
        last_prune = time.monotonic()
        while not self._stop.wait(0.2):
            now = time.monotonic()
            try:
                for key, (paused, token) in self.cursors.controls().items():
                    worker = self.workers.get(key)
                    if worker is not None:
                        worker.control(paused, token)
                if now - last_beat >= 1.0:
                    self.cursors.heartbeat(self.feed.head, self.feed.head_event_id)
                    last_beat = now
                if now - last_prune >= 60.0:
                    last_prune = now
                    self._prune()
            except Exception as exc:
                log.warning("cannot reach the state database (%s); retrying", exc)
            self._reload(now)
        self._shutdown()

    def _reload(self, now: float) -> None:
        changes = self.reloader.changes(now, self._plugins())
        if changes.everything:
            for worker in self.workers.values():
                worker.request_reload()
        if changes.scan:
            self._scan(head=self.feed.head)
        for path in changes.paths:
            for worker in self.workers.values():
                if worker.plugin.path == path and self.reloader.differs(path):
                    worker.request_reload()
        self.reloader.remember(self._plugins())

    def _prune(self) -> None:
        """Drop the polling journal's rows every plugin has passed (paused and failed ones too)."""
        prune = getattr(self.feed.pump, "prune", None)
        cursors = self.cursors.all()
        if prune is not None and cursors:
            prune(min(c.position for c in cursors))

    def _scan(self, head: int) -> None:
        """New plugin files start at the head of the log (as upstream)."""
        for collection, path in discover(self._collections()):
            key = (collection, path.stem)
            if key not in self.workers:
                log.info("New plugin file %s", path)
                worker = self._add(collection, path, head)
                worker.start()

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.config.stop_timeout
        for worker in self.workers.values():
            worker.stopping = True
            worker.wake()
        self.feed.progress()
        for worker in self.workers.values():
            left = max(0.0, deadline - time.monotonic())
            if not worker.join(left):
                log.warning(
                    "plugin %s did not finish its callback within %.0f s; leaving it (re-run at next start)",
                    worker.plugin.name,
                    self.config.stop_timeout,
                )
        self.feed.stop()
        for worker in self.workers.values():
            worker.plugin.close()
        try:
            self.cursors.release()
        except Exception as exc:
            log.warning("could not mark the daemon stopped: %s", exc)
        self.cursors.close()
        for close in self.closers:
            try:
                close()
            except Exception as exc:
                log.warning("closing %s failed: %s", close, exc)
        log.info("shotlog daemon %r stopped", self.config.name)


def install_signal_handlers(engine: Engine) -> None:
    """SIGTERM and SIGINT stop the engine cleanly; SIGHUP reloads every plugin."""

    def stop(signum: int, frame: Any) -> None:
        engine.stop()

    def reload(signum: int, frame: Any) -> None:
        engine.request_reload()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)
