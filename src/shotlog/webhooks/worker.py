"""The delivery worker: dispatch, exchange (record + claim), send, maintain.

One asyncio task per step, so no step waits for another's I/O:

* **dispatch** wakes on new events (``eventlog.wakeup``) and turns them into deliveries by cursor;
* **exchange**: one transaction per round records the requests that finished (attempts, the
  deliveries' new states, the status rules: Unstable, then Failed at the threshold) and claims the
  next due deliveries per hook, up to the hook's free concurrency plus one round ahead. Hooks are
  independent: a slow receiver fills only its own slots, so it never delays another hook. An
  ``ordered`` hook has one request in flight, in event order. A hook whose last request failed is
  paused until its retry time, then probed with a single request. A request holds its place in the
  hook's capacity until its outcome is committed, so a killed worker repeats at most the requests
  it held: ``(1 + ROUNDS_AHEAD) * max_concurrency`` per hook, in practice far fewer;
* **send**: one task per request, waiting for one of its hook's slots (in claim order), checking
  that its lease still covers the request and the recording after it (renewing it if not), then
  going through ``sending``'s steps (prepare, send, outcome: the ones "Test connection" takes too);
* **maintenance** returns Unstable hooks to Active once their window is clean, and purges the
  delivery log past its retention.

The status rules (``status``) are applied after each round that recorded a failure: a hook turns
Unstable, then Failed at the threshold of failed requests in 24 hours, and the hook's
``notify_emails`` get an email (``notify``). Every decision in time reads ``self.clock``, which
tests move on (``SHOTLOG_TEST_CLOCK_FILE``, or a clock passed in) instead of waiting.

Database work runs in threads (the store is synchronous); the event loop only does HTTP.
``DeliveryWorker`` is a ``Service`` for ``shotlog serve`` and the whole of ``shotlog worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any

from shotlog.clock import Clock
from shotlog.clock import clock as process_clock
from shotlog.eventlog.wakeup import open_wakeup
from shotlog.store.database import Database
from shotlog.webhooks import repository, sending
from shotlog.webhooks.claims import lease_seconds, renew
from shotlog.webhooks.dispatcher import Dispatcher
from shotlog.webhooks.notify import StatusChange, StatusNotifier
from shotlog.webhooks.repository import AttemptResult, Hook
from shotlog.webhooks.sender import Sender
from shotlog.webhooks.sending import BATCH_SIZE, Request
from shotlog.webhooks.settings import WebhookSettings
from shotlog.webhooks.status import FAILURE_WINDOW, HookStatus, next_status

__all__ = ["DeliveryWorker", "webhook_service"]

log = logging.getLogger("shotlog.webhooks")

#: results written per transaction at most
RECORD_BATCH = 2000
#: seconds between two looks for a first hook while there is none
HOOKLESS_RECHECK = 1.0


class DeliveryWorker:
    """Delivers webhooks for one database until stopped."""

    name = "webhooks"

    def __init__(
        self,
        db: Database,
        settings: WebhookSettings | None = None,
        *,
        dispatch: bool = True,
        max_in_flight: int = 512,
        worker_id: str | None = None,
        clock: Clock | None = None,
        notifier: StatusNotifier | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or WebhookSettings.from_env()
        self.clock = clock or process_clock()
        self.notifier = notifier or StatusNotifier.from_env(self.settings.site_url)
        self.dispatch_enabled = dispatch
        self.max_in_flight = max_in_flight
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.dispatcher = Dispatcher(db)
        self.sender = Sender(self.settings.policy, limit=max_in_flight, limit_per_host=max_in_flight)
        self._kick = asyncio.Event()
        self._results: list[AttemptResult] = []
        self._in_flight: dict[str, int] = {}  # requests per hook: claimed, not yet answered
        self._unrecorded: dict[str, int] = {}  # requests per hook: answered, outcome not yet committed
        self._recording: Counter[str] = Counter()  # of those, the ones the running exchange writes
        self._slots: dict[str, tuple[int, asyncio.Semaphore]] = {}
        self._sends: set[asyncio.Task[None]] = set()
        self._to_release: list[str] = []  # claimed, cancelled before an answer: hand back on stop
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        #: failed requests seen per hook, and those of them committed: a request claimed before the
        #: latest failure of its hook is handed back unsent, and nothing is claimed for a hook whose
        #: failure is not committed yet (its pause comes with it; only a probe goes next)
        self._failures: Counter[str] = Counter()
        self._failures_recorded: Counter[str] = Counter()
        self._recording_failures: Counter[str] = Counter()

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.sender.open()
        self._stopping = False
        loops: list[Callable[[], Any]] = [self._exchange_loop, self._maintenance_loop]
        if self.dispatch_enabled:
            loops.append(self._dispatch_loop)
        self._tasks = [asyncio.create_task(loop(), name=f"webhooks-{loop.__name__}") for loop in loops]
        log.info("webhook worker %s started", self.worker_id)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, let requests in flight finish (up to ``grace`` s), record them, close."""
        self._stopping = True
        # Dispatch and maintenance are single transactions, safe to cancel. The exchange loop is
        # never cancelled mid-transaction (that would lose the results of requests already sent,
        # and they would be sent again): it stops claiming, records what remains and returns.
        for task in self._tasks:
            if task.get_name() != "webhooks-_exchange_loop":
                task.cancel()
        if self._sends:
            _, late = await asyncio.wait(self._sends, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self._kick.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._results:  # the loop gave up on a failing database: one last try
            await asyncio.to_thread(repository.record, self.db, self._results, self.clock.now())
            self._results = []
        if self._to_release:
            await asyncio.to_thread(repository.release, self.db, self._to_release)
            self._to_release = []
        await self.sender.close()
        await asyncio.to_thread(self.notifier.close)
        log.info("webhook worker %s stopped", self.worker_id)

    async def run_until_signal(self) -> None:
        """``shotlog worker``: run until SIGINT or SIGTERM."""
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        await self.start()
        try:
            await done.wait()
        finally:
            await self.stop()

    def _stop_requested(self) -> bool:
        return self._stopping

    # -- dispatch -----------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        wakeup = await open_wakeup(self.db.url)
        try:
            while True:
                try:
                    made = await asyncio.to_thread(self.dispatcher.run)
                except Exception:
                    log.exception("webhook dispatch failed; retrying")
                    made = 0
                    await asyncio.sleep(1.0)
                if made:
                    self._kick.set()
                if self.dispatcher.hookless:
                    # Nothing to wake for on every commit: look for a first hook once a second (its
                    # events are not lost meanwhile, only delivered up to a second later).
                    await asyncio.sleep(HOOKLESS_RECHECK)
                elif self.dispatcher.caught_up:
                    await wakeup.wait(1.0)
        finally:
            await wakeup.close()

    # -- claim and send -----------------------------------------------------------------------------

    def _capacity(self, hook: Hook) -> int:
        """How many deliveries this worker may take for ``hook`` now.

        A hook has ``max_concurrency`` requests in flight; ``ROUNDS_AHEAD`` more rounds are claimed
        ahead and wait for a slot, so claims come in batches of at least a round and the slots stay
        busy while the next transaction runs (a claim is a transaction: fewer, larger ones are what
        lets the log keep up).
        """
        # A request answered but not yet recorded still holds its place: the outcomes a killed
        # worker loses stay within what it held. Those this very transaction records are free.
        unrecorded = self._unrecorded.get(hook.id, 0) - self._recording[hook.id]
        busy = self._in_flight.get(hook.id, 0) + unrecorded
        failing = (
            self._failures[hook.id] - self._failures_recorded[hook.id] - self._recording_failures[hook.id]
        )
        if failing > 0:
            return 0  # a failure of this hook waits to be recorded, and the hook's pause with it
        if hook.config.ordered or hook.consecutive_failures > 0:
            # ordered: one request at a time; failing: a single probe until one succeeds
            slots = 0 if busy else 1
        else:
            limit = (1 + repository.ROUNDS_AHEAD) * hook.config.max_concurrency
            slots = limit - busy
            if busy and slots < max(1, hook.config.max_concurrency):
                slots = 0
        total = sum(self._in_flight.values())
        slots = min(slots, self.max_in_flight - total)
        per_request = BATCH_SIZE if hook.config.batch_deliveries else 1
        return max(0, slots) * per_request

    def _slot(self, hook: Hook) -> asyncio.Semaphore:
        """The hook's request slots in this worker (rebuilt when its max_concurrency changes)."""
        n = hook.config.max_concurrency
        held = self._slots.get(hook.id)
        if held is None or held[0] != n:
            held = self._slots[hook.id] = (n, asyncio.Semaphore(n))
        return held[1]

    async def _exchange_loop(self) -> None:
        """Each round: record the finished requests and claim the next ones in one transaction."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.settings.poll_interval)
            self._kick.clear()
            stopping = self._stop_requested()
            if stopping and not self._results and not self._sends:
                return
            results, self._results = self._results[:RECORD_BATCH], self._results[RECORD_BATCH:]
            take = not stopping and sum(self._in_flight.values()) < self.max_in_flight
            self._recording = Counter(r.hook_id for r in results)
            self._recording_failures = Counter(r.hook_id for r in results if not r.succeeded)
            failures_at_claim = Counter(self._failures)
            try:
                requests = await asyncio.to_thread(self._exchange, results, take)
            except Exception:
                log.exception("recording/claiming webhook deliveries failed; retrying")
                self._results[:0] = results
                if stopping:
                    return
                await asyncio.sleep(0.5)
                continue
            finally:
                self._recording = Counter()
                self._recording_failures = Counter()
            for r in results:
                if not r.succeeded:
                    self._failures_recorded[r.hook_id] += 1
                if r.hook_id in self._unrecorded:
                    left = self._unrecorded[r.hook_id] - 1
                    if left > 0:
                        self._unrecorded[r.hook_id] = left
                    else:
                        del self._unrecorded[r.hook_id]
            for req in requests:
                self._in_flight[req.hook.id] = self._in_flight.get(req.hook.id, 0) + 1
                task = asyncio.create_task(self._send(req, failures_at_claim[req.hook.id]))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
            if requests or self._results:
                self._kick.set()  # more may be due, or waiting to be written: go again at once

    def _exchange(self, results: list[AttemptResult], take: bool) -> list[Request]:
        now = self.clock.now()
        if not results and (not take or not repository.has_due(self.db, now)):
            return []  # nothing to write: an idle worker never takes the write lock
        failed, claim = repository.exchange(
            self.db, results, self._capacity, now=now, margin=self.settings.claim_margin, take=take
        )
        # Committed: from here on nothing may raise back to the loop, which would record the same
        # results again. What fails below is logged; the leases bring its deliveries back.
        try:
            for hook_id in failed:
                self._apply_status_rules(hook_id, now)
            return self._requests(claim, now)
        except Exception:
            log.exception("webhook worker: after-commit step failed")
            return []

    def _requests(self, claim: repository.Claim, now: dt.datetime) -> list[Request]:
        requests: list[Request] = []
        gone_results: list[AttemptResult] = []
        for hook_id, deliveries in claim.deliveries.items():
            reqs, gone = sending.prepare(claim.hooks[hook_id], deliveries, now)
            requests.extend(reqs)
            if gone:
                gone_results.append(sending.event_gone(hook_id, gone, now))
        if gone_results:
            repository.record(self.db, gone_results, now)
        return requests

    async def _send(self, req: Request, failures_at_claim: int) -> None:
        hook = req.hook
        try:
            try:
                async with self._slot(hook):
                    if self._failures[hook.id] != failures_at_claim:
                        # The hook failed since this was claimed: it is paused until a probe gets
                        # through, and sending the rest of the round would only add failures.
                        await asyncio.to_thread(repository.release, self.db, [d.id for d in req.deliveries])
                        return
                    if not await self._lease_holds(req):
                        return  # another worker has them now: it sends them, not us
                    sent = await sending.send(self.sender, req, self.settings.site_url)
            except asyncio.CancelledError:
                self._to_release.extend(d.id for d in req.deliveries)
                raise
            result = sending.outcome(
                req,
                sent,
                retry_scale=self.settings.retry_scale,
                failure_threshold=self.settings.failure_threshold,
            )
            sending.time_on(result, self.clock)
            if not result.succeeded:
                self._failures[hook.id] += 1
            self._unrecorded[hook.id] = self._unrecorded.get(hook.id, 0) + 1
            self._results.append(result)
        finally:
            left = self._in_flight.get(hook.id, 1) - 1
            if left:
                self._in_flight[hook.id] = left
            else:
                self._in_flight.pop(hook.id, None)
            self._kick.set()

    async def _lease_holds(self, req: Request) -> bool:
        """Whether the claim on ``req``'s deliveries lasts through the request and its recording.

        The lease is sized for the longest wait for a slot, so it holds unless the worker fell
        behind (a stalled loop or database); then it is renewed first, and a delivery whose lease
        already went to another worker is not sent.
        """
        held = min((d.lease for d in req.deliveries if d.lease is not None), default=None)
        if held is None:
            return True
        now = self.clock.now()
        margin = self.settings.claim_margin
        if held - now >= dt.timedelta(seconds=req.timeout + margin):
            return True
        until = now + dt.timedelta(seconds=lease_seconds(req.timeout, margin))
        ids = [d.id for d in req.deliveries]
        try:
            renewed = await asyncio.to_thread(renew, self.db, ids, held, until)
        except Exception:
            log.exception("webhook worker: renewing a lease failed; the deliveries go back when it ends")
            return False
        if renewed:
            for d in req.deliveries:
                d.lease = until
        else:
            log.warning("webhook worker: %d deliveries of hook %s were taken over", len(ids), req.hook.id)
        return renewed

    # -- record -------------------------------------------------------------------------------------

    def _window(self) -> dt.timedelta:
        return FAILURE_WINDOW * self.settings.retry_scale

    def _apply_status_rules(self, hook_id: str, now: dt.datetime) -> None:
        hook = repository.get_hook(self.db, hook_id)
        if hook is None or hook.status.holds:
            return
        failures = repository.failures_in_window(self.db, hook_id, now, self._window())
        new = next_status(hook.status, failures, threshold=self.settings.failure_threshold)
        if new != hook.status:
            self._change_status(hook, new, failures, now)

    def _change_status(self, hook: Hook, new: HookStatus, failures: int, now: dt.datetime) -> None:
        """A system transition: stored (with its Webhook_Status_Change), logged and mailed."""
        if not repository.set_status(self.db, hook.id, hook.status, new, "system", now):
            return  # a user changed the status meanwhile: theirs stands
        log.warning("webhook %s is now %s (%d failures in the window)", hook.id, new.value, failures)
        counts = repository.counts(self.db, [hook.id]).get(hook.id, {})
        self.notifier.notify(
            StatusChange(
                hook,
                hook.status,
                new,
                now,
                failures,
                self.settings.failure_threshold,
                counts.get(repository.HELD, 0),
                counts.get(repository.PENDING, 0),
            )
        )

    # -- maintenance --------------------------------------------------------------------------------

    async def _maintenance_loop(self) -> None:
        interval = max(0.1, min(60.0, 3600.0 * self.settings.retry_scale))
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.maintain)
            except Exception:
                log.exception("webhook maintenance failed")

    def maintain(self) -> None:
        """One maintenance pass (the loop runs one a minute): Unstable hooks whose window holds no
        failed request turn Active; the delivery log past its retention is purged."""
        now = self.clock.now()
        for hook in repository.list_hooks(self.db, HookStatus.UNSTABLE):
            if repository.failures_in_window(self.db, hook.id, now, self._window()) == 0:
                self._change_status(hook, HookStatus.ACTIVE, 0, now)
        before = now - dt.timedelta(days=self.settings.retention_days)
        repository.purge(self.db, before)


def webhook_service(store: Any) -> list[DeliveryWorker]:
    """The delivery worker ``shotlog serve`` runs, unless ``SHOTLOG_WEBHOOKS=0``."""
    settings = WebhookSettings.for_server()
    return [DeliveryWorker(store.db, settings)] if settings.enabled else []
