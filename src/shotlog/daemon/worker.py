"""A worker: one plugin's thread, reading the shared feed at its own pace.

Why threads per plugin: plugins are synchronous shotgun_api3 code, and upstream's single loop let
one slow or failing plugin hold up every other. Here each plugin has its own worker and its own
cursor, so a slow plugin only delays itself; a plugin still sees events one at a time, in position
order, and its callbacks in registration order.

A worker's step for one event (``Worker.process``): match each callback, call the matching ones
(``calls.call``) with their own connection, then record the event as done in the plugin's
``Checkpoint`` (the progress file at once, the database cursor in batches; ``checkpoint.py`` says
why). A callback that raises:

* ``stopOnError=True``: the plugin stops with state ``failed`` and its error visible in status; the
  failed event is not recorded, nor are later ones. Fixing the file (hot reload), ``shotlog daemon
  reload`` or ``resume`` runs it again from the failed event, skipping the callbacks that had
  already succeeded on it;
* ``stopOnError=False``: the error is logged (and mailed) and the event counts as done;
* a transient connection error (``calls.is_transient``) is retried with back-off first, either way.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from shotlog.daemon.calls import call
from shotlog.daemon.checkpoint import Checkpoint
from shotlog.daemon.cursors import Cursor
from shotlog.daemon.events import Event, fresh_copy
from shotlog.daemon.plugins import Plugin
from shotlog.daemon.registrar import Callback

if TYPE_CHECKING:
    from shotlog.daemon.engine import Engine

__all__ = ["Worker"]

log = logging.getLogger("engine")

#: seconds a worker waits after the state database failed it, before trying again
STATE_ERROR_PAUSE = 2.0


class Worker:
    """Runs one plugin: its thread, its cursor, its state."""

    def __init__(self, engine: Engine, plugin: Plugin, cursor: Cursor) -> None:
        self.engine = engine
        self.plugin = plugin
        #: the fence of an imported shotgunEvents state (fixed when the cursor was created)
        self.fence_event_id = cursor.fence_event_id
        self.state = "load_error" if plugin.error else ("failed" if cursor.state == "failed" else "running")
        self.paused = cursor.paused
        self.reload_requested = False
        self.stopping = False
        self.token_changed: int | None = None  # set when an operator acted
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"plugin-{plugin.name}", daemon=True)
        self.checkpoint = Checkpoint(
            engine.cursors,
            plugin.key,
            engine.progress_file(plugin.key),
            cursor,
            every=engine.config.commit_every,
            interval=engine.config.commit_interval,
            ordered=engine.feed.pump.ordered,
            on_moved=self._moved,
        )
        if plugin.error:
            engine.cursors.note_error(plugin.collection, plugin.name, error=plugin.error, event_id=None)
        engine.cursors.set_state(plugin.collection, plugin.name, self.state)

    @property
    def key(self) -> tuple[str, str]:
        return self.plugin.key

    @property
    def position(self) -> int:
        return self.checkpoint.state.position

    @property
    def last_event_id(self) -> int | None:
        return self.checkpoint.state.last_event_id

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
        changed = paused != self.paused or token != self.checkpoint.state.token
        if changed:
            self.paused = paused
            if token != self.checkpoint.state.token:
                self.token_changed = token
            self.wake()

    def request_reload(self) -> None:
        self.reload_requested = True
        self.wake()

    def _moved(self, token: int) -> None:
        self.token_changed = token

    # -- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        feed = self.engine.feed
        try:
            while not self.stopping:
                try:
                    self._apply_requests()
                    self._acknowledge_pause()
                    if not self.runnable:
                        self.checkpoint.commit()
                        self._wake.wait(1.0)
                        self._wake.clear()
                        continue
                    if self.checkpoint.state.pending and feed.pump.ordered:
                        self._process_pending()
                        continue
                    events = feed.read(self.position, self.engine.batch)
                    if not events:
                        self.checkpoint.commit_if_due()
                        feed.wait(self.position, 0.5)
                        continue
                    self._process_page(events)
                    feed.progress()
                except Exception as exc:  # the state database is unreachable: pause, never crash
                    log.exception(
                        "plugin %s: daemon error (%s); retrying in %.0f s",
                        self.plugin.name,
                        exc,
                        STATE_ERROR_PAUSE,
                    )
                    time.sleep(STATE_ERROR_PAUSE)
            self.checkpoint.commit()
        finally:
            self.checkpoint.close()

    def _process_page(self, events: list[Event]) -> None:
        """A page of events from the feed, one at a time, in position order."""
        for ev in events:
            if not self.runnable or self.token_changed is not None or self.reload_requested:
                break
            if not self.process(ev):
                break
        self.checkpoint.end_of_page()

    def _apply_requests(self) -> None:
        if self.token_changed is not None:
            self.token_changed = None
            self.checkpoint.commit()
            fresh = self.engine.cursors.get(*self.key)
            if fresh is not None:
                self.reset_to(fresh)
            if self.state == "failed":
                log.info("plugin %s resumed by an operator", self.plugin.name)
                self._set_state("running", clear_error=True)
        if self.reload_requested:
            self.reload_requested = False
            self.checkpoint.commit()
            self.reload()

    def reset_to(self, fresh: Cursor) -> None:
        """Take the database cursor as it is (an operator moved or resumed it)."""
        self.checkpoint.reset_to(fresh)

    def _acknowledge_pause(self) -> None:
        """Status shows "paused" only once this thread has stopped taking events."""
        if self.paused and self.state == "running":
            self.checkpoint.commit()
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
        self.checkpoint.commit()
        ids = sorted(self.checkpoint.state.pending)
        found = {ev.id: ev for ev in self.engine.feed.pump.fetch_ids(ids)}
        for eid in ids:
            ev = found.get(eid)
            if ev is not None and self._run_callbacks(ev) is None:
                return
            self.checkpoint.backlog_done(eid, found=ev is not None)

    def process(self, ev: Event) -> bool:
        """Run the plugin on one event; False when the plugin stopped on an error."""
        state = self.checkpoint.state
        if ev.position <= state.position:
            return True
        data = ev.data
        matched = [cb for cb in self.plugin.callbacks if cb.matches(data)]
        fence = self.fence_event_id
        if fence is not None and ev.id <= fence and not self.engine.feed.pump.ordered:
            # Imported state: shotgunEvents already ran this event, unless it was in its backlog.
            if ev.id in state.pending:
                state.pending.remove(ev.id)
                state.pending_dirty = True
            else:
                matched = []
        if not matched:
            self.checkpoint.skipped(ev)
            return True
        failures = self._run_callbacks(ev, matched)
        if failures is None:
            return False
        self.checkpoint.handled(ev, failures)
        return True

    def _run_callbacks(self, ev: Event, matched: list[Callback] | None = None) -> int | None:
        """Call the matching callbacks; the number of failures, or None if the plugin stopped."""
        if matched is None:
            matched = [cb for cb in self.plugin.callbacks if cb.matches(ev.data)]
        state = self.checkpoint.state
        # One copy per plugin and event: the plugin's callbacks share it (a mutation by one is seen
        # by the next, as upstream), other plugins running at the same time never see it.
        event = fresh_copy(ev.data)
        failures = 0
        done: list[str] = []
        for cb in matched:
            if cb.name in state.done_callbacks:
                done.append(cb.name)
                continue
            error = call(cb, event, self.engine.config, self.plugin.name, lambda: self.stopping)
            if error is None:
                done.append(cb.name)
                continue
            if cb.stop_on_error:
                self.checkpoint.commit()  # the database cursor: just before the failed event
                message = f"{cb.name} failed on event {ev.id}: {error}"
                self.engine.cursors.fail(*self.key, error=message, event_id=ev.id, done_callbacks=done)
                self.checkpoint.state.done_callbacks = set(done)
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
        if self.checkpoint.state.done_callbacks:
            self.checkpoint.state.done_callbacks = set()
        return failures
