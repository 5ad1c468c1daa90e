"""How every source retries a failed read: shotgunEvents' ``max_conn_retries`` and
``conn_retry_sleep``, with the quick retries backing off (``shotlog.backoff``)."""

from __future__ import annotations

import logging

from shotlog import backoff

__all__ = ["Retry"]

log = logging.getLogger("engine")  # the engine log file, as shotgunEvents writes its retries


class Retry:
    """shotgunEvents' connection-retry rhythm, with back-off: warn and retry quickly up to
    ``max_conn_retries`` times, then report an error and sleep ``conn_retry_sleep``; never give up."""

    def __init__(self, max_retries: int, long_sleep: float, *, first: float = 0.5) -> None:
        self.max_retries = max_retries
        self.long_sleep = long_sleep
        self.first = first
        self.failures = 0

    def ok(self) -> None:
        self.failures = 0

    def failed(self, what: str, exc: BaseException) -> float:
        """Log the failure; seconds to wait before the next try."""
        self.failures += 1
        if self.failures >= self.max_retries:
            log.error(
                "%s failed %d times in a row (%s); sleeping %.0f s", what, self.failures, exc, self.long_sleep
            )
            self.failures = 0
            return self.long_sleep
        delay = backoff.delay(self.failures, self.first, self.long_sleep)
        log.warning("%s failed (%s); retry %d in %.1f s", what, exc, self.failures, delay)
        return delay
