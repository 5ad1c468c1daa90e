"""Turning the event log into deliveries, by cursor.

``Dispatcher.run`` reads the events after the cursor a page at a time, matches them against the
hooks' subscriptions and writes the deliveries **in the transaction that advances the cursor**
(``repository.dispatch``): a crash before that commit leaves both untouched, after it both are
durable, so no event is lost and none becomes two deliveries to one hook.
"""

from __future__ import annotations

from collections.abc import Sequence

from shotlog.store.database import Database
from shotlog.webhooks import repository
from shotlog.webhooks.repository import Hook
from shotlog.webhooks.subscriptions import Subscriptions

__all__ = ["Dispatcher"]


class Dispatcher:
    def __init__(self, db: Database, *, page: int = 2000) -> None:
        self.db = db
        self.page = page
        self._key: tuple[tuple[str, object, str], ...] | None = None
        self._compiled = Subscriptions(())
        #: whether the last ``run`` reached the head of the log (else more pages are waiting)
        self.caught_up = True
        #: whether the last ``run`` found no hook at all (then nothing needs waking per commit)
        self.hookless = False

    def _match(self, hooks: Sequence[Hook]) -> Subscriptions:
        # Recompiling is cheap but not free; hooks change rarely, pages arrive often.
        key = tuple((h.id, h.updated_at, h.status) for h in hooks)
        if key != self._key:
            self._compiled = Subscriptions(h.subscription() for h in hooks)
            self._key = key
        return self._compiled

    def run_once(self) -> tuple[int, int]:
        """One page: (events read, deliveries made); events is -1 when another worker dispatches."""
        return repository.dispatch(self.db, self._match, limit=self.page)

    def run(self, max_pages: int = 50) -> int:
        """Dispatch until caught up (or ``max_pages``); returns the deliveries made."""
        made = 0
        # Without hooks there is nothing to dispatch and the cursor need not move (see
        # repository.any_hook): one read, and no write transaction (no fsync) per commit of the log.
        self.hookless = not repository.any_hook(self.db)
        if self.hookless:
            self.caught_up = True
            return 0
        self.caught_up = False
        for _ in range(max_pages):
            events, deliveries = self.run_once()
            made += deliveries
            if events < self.page:
                self.caught_up = True
                break
        return made
