"""The engine: one worker thread per plugin, all reading the one shared feed.

Why threads per plugin: plugins are synchronous shotgun_api3 code, and upstream's single loop let
one slow or failing plugin hold up every other. Here each plugin has its own worker and its own
cursor, so a slow plugin only delays itself; a plugin still sees events one at a time, in position
order, and its callbacks in registration order.

A worker's step for one event (``Worker.process``): match each callback, call the matching ones
with their own connection, then record the event as done in the plugin's progress file
(``progress.ProgressFile``: a memory write that survives a kill -9 of the process). The database
cursor (``CursorStore.advance``), which status shows and operators move, is committed every
``commit_every`` events or ``commit_interval`` seconds, and when the plugin stops, pauses or fails;
at start the worker continues from whichever of the two is ahead (see ``progress``). Events no
callback matched are recorded at the end of each page: re-examining them has no effect. A
callback that raises:

* ``stopOnError=True``: the plugin stops with state ``failed`` and its error visible in status; the
  failed event is not recorded, nor are later ones. Fixing the file (hot reload), ``shotlog daemon
  reload`` or ``resume`` runs it again from the failed event, skipping the callbacks that had
  already succeeded on it;
* ``stopOnError=False``: the error is logged (and mailed) and the event counts as done;
* a transient connection error (``is_transient``) is retried with back-off first, either way.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import pprint
import signal
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shotlog.daemon.conf import DaemonConfig
from shotlog.daemon.cursors import Cursor, CursorStore
from shotlog.daemon.events import Event, fresh_copy
from shotlog.daemon.logs import LogSetup, timing_line
from shotlog.daemon.plugins import Plugin, discover, fingerprint, load_plugin
from shotlog.daemon.progress import ProgressFile, progress_path
from shotlog.daemon.registrar import Callback, Connector
from shotlog.daemon.sources.feed import Feed

__all__ = ["TRANSIENT_RETRIES", "Engine", "Worker", "is_transient"]

log = logging.getLogger("engine")
timing = logging.getLogger("timing")

#: retries of a callback that failed with a transient connection error, and the first delay
TRANSIENT_RETRIES = 4
TRANSIENT_FIRST_DELAY = 0.5
#: the collector's third threshold while an engine runs (Python's default: 10), see ``Engine.start``
FULL_COLLECTION_EVERY = 100


def is_transient(exc: BaseException) -> bool:
    """Network trouble worth running the callback again for: a site that refused the connection or
    timed out, 5xx/408/429 from the site.

    A connection broken or reset in the middle of a call is not: the callback may already have
    changed data through earlier calls, and running it again would do that twice.
    """
    from xmlrpc.client import ProtocolError  # what shotgun_api3 raises for HTTP errors

    if isinstance(exc, BrokenPipeError | ConnectionResetError):
        return False
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, ProtocolError):
        code = getattr(exc, "errcode", 0) or 0
        return int(code) >= 500 or int(code) in (408, 429)
    return isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError)


class Worker:
    """Runs one plugin: its thread, its cursor, its state."""

    def __init__(self, engine: Engine, plugin: Plugin, cursor: Cursor) -> None:
        self.engine = engine
        self.plugin = plugin
        self.cursor = cursor
        self.position = cursor.position
        self.last_event_id = cursor.last_event_id
        self.pending = list(cursor.pending)
        self.done_callbacks = set(cursor.done_callbacks)
        self.token = cursor.resume_token
        self.state = "load_error" if plugin.error else ("failed" if cursor.state == "failed" else "running")
        self.paused = cursor.paused
        self.reload_requested = False
        self.stopping = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"plugin-{plugin.name}", daemon=True)
        self.busy = False
        self.token_changed: int | None = None  # set by the engine when an operator acted
        self._recorded_position = cursor.position  # what the database cursor holds
        # Progress not in the database yet: events handled and failures (for its counts), handled
        # events since the last commit, when that was, and whether ``pending`` changed since.
        self._handled = 0
        self._failures = 0
        self._since_commit = 0
        self._committed_at = time.monotonic()
        self._pending_dirty = False
        self._file_position = cursor.position  # what the progress file holds
        self._every = engine.config.commit_every
        self._interval = engine.config.commit_interval
        self.progress = engine.progress_file(plugin.key)
        self._continue_from_file(cursor)
        if plugin.error:
            engine.cursors.note_error(plugin.collection, plugin.name, error=plugin.error, event_id=None)
        engine.cursors.set_state(plugin.collection, plugin.name, self.state)

    def _continue_from_file(self, cursor: Cursor) -> None:
        """After a kill -9 the progress file is ahead of the database cursor: take it, if it provably
        continues that cursor (``Progress.continues``), and commit it at once."""
        record = self.progress.read()
        if record is None or cursor.pending or not record.continues(cursor.position, cursor.resume_token):
            self._save()
            return
        log.info(
            "plugin %s continues at position %d from its progress file (database cursor: %d)",
            self.plugin.name,
            record.position,
            cursor.position,
        )
        self.position = self._file_position = record.position
        if record.last_event_id is not None:
            self.last_event_id = max(self.last_event_id or 0, record.last_event_id)
        self._handled, self._failures = record.handled, record.failures
        self._flush()

    @property
    def key(self) -> tuple[str, str]:
        return self.plugin.key

    @property
    def runnable(self) -> bool:
        return self.state == "running" and not self.paused and not self.stopping

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- control (called from the engine's thread) --------------------------------------------------

    def control(self, paused: bool, token: int) -> None:
        changed = paused != self.paused or token != self.token
        if changed:
            self.paused = paused
            if token != self.token:
                self.token_changed = token
            self.wake()

    # -- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        feed = self.engine.feed
        try:
            while not self.stopping:
                try:
                    self._apply_requests()
                    self._acknowledge_pause()
                    if not self.runnable:
                        self._flush()
                        self._wake.wait(1.0)
                        self._wake.clear()
                        continue
                    if self.pending and self.engine.feed.pump.ordered:
                        self._process_pending()
                        continue
                    events = feed.read(self.position, self.engine.batch)
                    if not events:
                        self._flush_if_due()
                        feed.wait(self.position, 0.5)
                        continue
                    self._process_page(events)
                    feed.progress()
                except Exception as exc:  # the state database is unreachable: back off, never crash
                    log.exception("plugin %s: daemon error (%s); retrying in 2 s", self.plugin.name, exc)
                    time.sleep(2.0)
            self._flush()
        finally:
            self.progress.close()

    def _process_page(self, events: list[Event]) -> None:
        """A page of events from the feed, one at a time, in position order."""
        for ev in events:
            if not self.runnable or self.token_changed is not None or self.reload_requested:
                break
            if not self.process(ev):
                break
        self._save()
        self._flush_if_due()

    def _apply_requests(self) -> None:
        if self.token_changed is not None:
            self.token_changed = None
            self._flush()
            fresh = self.engine.cursors.get(*self.key)
            if fresh is not None:
                self.reset_to(fresh)
            if self.state == "failed":
                log.info("plugin %s resumed by an operator", self.plugin.name)
                self._set_state("running", clear_error=True)
        if self.reload_requested:
            self.reload_requested = False
            self._flush()
            self.reload()

    def reset_to(self, fresh: Cursor) -> None:
        """Take the database cursor as it is (an operator moved or resumed it)."""
        self.token = fresh.resume_token
        self.position = self._recorded_position = fresh.position
        self.last_event_id = fresh.last_event_id
        self.pending = list(fresh.pending)
        self.done_callbacks = set(fresh.done_callbacks)
        self._handled = self._failures = self._since_commit = 0
        self._pending_dirty = False
        self._committed_at = time.monotonic()
        self._save(force=True)

    def _acknowledge_pause(self) -> None:
        """Status shows "paused" only once this thread has stopped taking events."""
        if self.paused and self.state == "running":
            self._flush()
            self._set_state("paused")
        elif not self.paused and self.state == "paused":
            self._set_state("running")

    def reload(self) -> None:
        """Load the plugin file again; a plugin stopped by an error gets another chance."""
        old = self.plugin
        if not old.path.exists():
            self._set_state("missing")
            return
        old.close()
        self.plugin = self.engine.load(old.collection, old.path)
        if self.plugin.error:
            self.engine.cursors.note_error(*self.key, error=self.plugin.error, event_id=None)
            self._set_state("load_error")
        else:
            log.info("Reloaded plugin %s", self.plugin.path)
            self._set_state("running", clear_error=True)

    def _set_state(self, state: str, *, clear_error: bool = False) -> None:
        self.state = state
        self.engine.cursors.set_state(*self.key, state, clear_error=clear_error)

    def _process_pending(self) -> None:
        """Imported backlog ids below the cursor (ordered sources): process the ones that exist."""
        self._flush()
        ids = sorted(self.pending)
        found = {ev.id: ev for ev in self.engine.feed.pump.fetch_ids(ids)}
        for eid in ids:
            ev = found.get(eid)
            if ev is not None and self._run_callbacks(ev) is None:
                return
            self.pending.remove(eid)
            self.engine.cursors.advance(
                *self.key,
                position=self.position,
                event_id=eid,
                handled=1 if ev is not None else 0,
                token=self.token,
                pending=tuple(self.pending),
            )

    def process(self, ev: Event) -> bool:
        """Run the plugin on one event; False when the plugin stopped on an error."""
        if ev.position <= self.position:
            return True
        data = ev.data
        matched = [cb for cb in self.plugin.callbacks if cb.matches(data)]
        fence = self.cursor.fence_event_id
        if fence is not None and ev.id <= fence and not self.engine.feed.pump.ordered:
            # Imported state: shotgunEvents already ran this event, unless it was in its backlog.
            if ev.id in self.pending:
                self.pending.remove(ev.id)
                self._pending_dirty = True
            else:
                matched = []
        if matched:
            failures = self._run_callbacks(ev, matched)
            if failures is None:
                return False
            self._handled += 1
            self._failures += failures
        self.position = ev.position
        if self.last_event_id is None or ev.id > self.last_event_id:
            self.last_event_id = ev.id
        if not matched:
            return True  # written with the next handled event or at the end of the page
        if self.pending or self._pending_dirty:
            self._flush()  # an imported backlog is recorded with the cursor, event by event
            return True
        # The per-event record: after a kill -9 the plugin continues right after this event.
        self.progress.write(
            ev.position,
            self.last_event_id,
            self.token,
            self._recorded_position,
            self._handled,
            self._failures,
        )
        self._file_position = ev.position
        self._since_commit += 1
        if self._since_commit >= self._every or time.monotonic() - self._committed_at >= self._interval:
            self._flush()
        return True

    def _run_callbacks(self, ev: Event, matched: list[Callback] | None = None) -> int | None:
        """Call the matching callbacks; the number of failures, or None if the plugin stopped."""
        if matched is None:
            matched = [cb for cb in self.plugin.callbacks if cb.matches(ev.data)]
        # One copy per plugin and event: the plugin's callbacks share it (a mutation by one is seen
        # by the next, as upstream), other plugins running at the same time never see it.
        event = fresh_copy(ev.data)
        failures = 0
        done: list[str] = []
        self.busy = True
        try:
            for cb in matched:
                if cb.name in self.done_callbacks:
                    done.append(cb.name)
                    continue
                error = self._call(cb, event)
                if error is None:
                    done.append(cb.name)
                    continue
                if cb.stop_on_error:
                    self._flush()  # the database cursor: just before the failed event
                    message = f"{cb.name} failed on event {ev.id}: {error}"
                    self.engine.cursors.fail(*self.key, error=message, event_id=ev.id, done_callbacks=done)
                    self.done_callbacks = set(done)
                    self.state = "failed"
                    log.error(
                        "Plugin %s stopped on event %d (stopOnError); fix it (the file reloads) or run "
                        "`shotlog daemon resume %s`",
                        self.plugin.name,
                        ev.id,
                        self.plugin.name,
                    )
                    return None
                failures += 1
                self.engine.cursors.note_error(
                    *self.key, error=f"{cb.name} failed on event {ev.id}: {error}", event_id=ev.id
                )
        finally:
            self.busy = False
        if self.done_callbacks:
            self.done_callbacks = set()
        return failures

    def _call(self, cb: Callback, event: dict[str, Any]) -> str | None:
        """One callback call with transient-error retries; the error text, or None on success."""
        attempt = 0
        timed = self.engine.config.timing_log
        while True:
            start = dt.datetime.now(dt.UTC).astimezone() if timed else None
            failed = True
            try:
                sg = cb.sg
                if self.engine.config.use_session_uuid:
                    sg.set_session_uuid(event.get("session_uuid"))
                cb.function(sg, cb.logger, event, cb.args)
                failed = False
                return None
            except Exception as exc:
                if is_transient(exc) and attempt < TRANSIENT_RETRIES and not self.stopping:
                    delay = TRANSIENT_FIRST_DELAY * 2**attempt
                    attempt += 1
                    cb.logger.warning(
                        "Transient error in %s on event %s (%s); retry %d in %.1f s",
                        cb.name,
                        event.get("id"),
                        exc,
                        attempt,
                        delay,
                    )
                    time.sleep(delay)
                    continue
                self._report(cb, event, exc)
                return f"{type(exc).__name__}: {exc}"
            finally:
                if start is not None:
                    end = dt.datetime.now(dt.UTC).astimezone()
                    created = event.get("created_at")
                    timing.info(
                        timing_line(
                            int(event.get("id") or 0),
                            created if isinstance(created, dt.datetime) else None,
                            f"{self.plugin.name}.{cb.name}",
                            start,
                            end,
                            failed,
                        )
                    )

    def _report(self, cb: Callback, event: dict[str, Any], exc: Exception) -> None:
        text = "An error occured processing an event.\n\n" + traceback.format_exc()
        if self.engine.config.log_locals:
            # Opt-in: upstream always mails the locals of the plugin's frame, secrets included.
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                text += "\nLocal variables at outermost frame in plugin:\n\n" + pprint.pformat(
                    tb.tb_frame.f_locals
                )
        cb.logger.critical(text)

    def _save(self, *, force: bool = False) -> None:
        """Write the progress file if the position moved since (events no callback matched)."""
        if force or self.position != self._file_position:
            self.progress.write(
                self.position,
                self.last_event_id,
                self.token,
                self._recorded_position,
                self._handled,
                self._failures,
            )
            self._file_position = self.position

    def _flush(self) -> None:
        """Commit the cursor to the database (the progress file then restarts from it)."""
        if (
            self.position == self._recorded_position
            and not self._handled
            and not self._failures
            and not self._pending_dirty
        ):
            return
        pending = tuple(self.pending) if not self.engine.feed.pump.ordered else None
        event_id = self.last_event_id if self.last_event_id is not None else self.position
        while not self.engine.cursors.advance(
            *self.key,
            position=self.position,
            event_id=event_id,
            handled=self._handled,
            failures=self._failures,
            token=self.token,
            pending=pending,
        ):
            # An operator resumed or moved the cursor meanwhile: keep a move, else record again.
            fresh = self.engine.cursors.get(*self.key)
            if fresh is None:
                return
            if fresh.moved or fresh.position != self._recorded_position:
                self.token_changed = fresh.resume_token
                return
            self.token = fresh.resume_token
        self._recorded_position = self.position
        self._handled = self._failures = self._since_commit = 0
        self._pending_dirty = False
        self._committed_at = time.monotonic()
        self._save(force=True)

    def _flush_if_due(self) -> None:
        if self.position != self._recorded_position and (
            self._since_commit >= self._every or time.monotonic() - self._committed_at >= self._interval
        ):
            self._flush()


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
        self._reload_all = threading.Event()
        self._changed: set[Path] = set()
        self._changed_lock = threading.Lock()
        self.on_start = on_start
        self.config_view = config.plugin_view()
        #: called last on shutdown (closing the database connections the engine was built with)
        self.closers: list[Callable[[], None]] = []
        self._gc_threshold = gc.get_threshold()

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
            head_pos, head_id = start_position, None
            cursor = self.cursors.create(
                collection, plugin.name, position=head_pos, last_event_id=head_id, path=str(path)
            )
        elif cursor.path != str(path):
            self.cursors.set_path(collection, plugin.name, str(path))
        worker = Worker(self, plugin, cursor)
        self.workers[worker.key] = worker
        return worker

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self, head_position: int) -> None:
        """Load every plugin, set up cursors, start the feed and the workers."""
        # Events stream through the feed's buffer (up to its capacity, a few objects each) and
        # outlive the collector's young generations, so with the default thresholds full
        # collections, which walk every object of the process, ran often enough to cost a third
        # of a drain's CPU. Fewer full passes (cyclic garbage is still collected, a little later);
        # restored when the engine stops.
        self._gc_threshold = gc.get_threshold()
        young, middle, full = self._gc_threshold
        gc.set_threshold(young, middle, max(full, FULL_COLLECTION_EVERY))
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
        if path is None:
            self._reload_all.set()
        else:
            with self._changed_lock:
                self._changed.add(path)

    def _watch(self) -> None:
        """Reload a plugin as soon as its file changes (inotify through watchfiles); the control
        loop also compares fingerprints every two seconds, for file systems without events."""
        import watchfiles

        paths = [p for p in self.config.plugin_paths if p.is_dir()]
        if not paths:
            return
        try:
            for changes in watchfiles.watch(*paths, stop_event=self._stop, debounce=200, rust_timeout=1000):
                for _, changed in changes:
                    path = Path(changed)
                    if path.suffix == ".py":
                        self.request_reload(path)
        except Exception as exc:  # no inotify (container limits...): the fingerprint poll remains
            log.warning("watching plugin files failed (%s); polling them every 2 s instead", exc)

    def run(self) -> None:
        """The control loop, until ``stop()`` (or SIGTERM/SIGINT when run from the CLI)."""
        if self.on_start is not None:
            self.on_start()
        if self.config.hot_reload:
            threading.Thread(target=self._watch, name="plugin-watch", daemon=True).start()
        last_beat = last_scan = 0.0
        last_prune = time.monotonic()
        fingerprints = {w.plugin.path: w.plugin.fingerprint for w in self.workers.values()}
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
            if self._reload_all.is_set():
                self._reload_all.clear()
                for worker in self.workers.values():
                    worker.reload_requested = True
                    worker.wake()
                self._scan(head=self.feed.head)
            with self._changed_lock:
                changed, self._changed = self._changed, set()
            if self.config.hot_reload and now - last_scan >= 2.0:
                last_scan = now
                for worker in self.workers.values():
                    fp = fingerprint(worker.plugin.path)
                    if fp != fingerprints.get(worker.plugin.path):
                        changed.add(worker.plugin.path)
                self._scan(head=self.feed.head)
            if changed:
                self._scan(head=self.feed.head)  # a new file: a new plugin
            for path in changed:
                for worker in self.workers.values():
                    if worker.plugin.path == path:
                        fp = fingerprint(path)
                        if fp == fingerprints.get(path):
                            continue  # touched but not changed (or already reloaded)
                        fingerprints[path] = fp
                        worker.reload_requested = True
                        worker.wake()
            for worker in self.workers.values():
                fingerprints.setdefault(worker.plugin.path, worker.plugin.fingerprint)
        self._shutdown()

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
        gc.set_threshold(*self._gc_threshold)
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
