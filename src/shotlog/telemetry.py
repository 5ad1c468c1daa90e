"""What this process counts: its requests, its commits and its archive runs, for ``/metrics``.

These are per-process counters and histograms (prometheus_client's): each ``shotlog serve`` process
counts what it did itself, and Prometheus sums the processes it scrapes. Figures that describe the
site rather than one process (the event log's head, webhook deliveries by state, plugin lag) are not
kept here: ``shotlog.server.site_metrics`` reads them from the database at scrape time, so every
process reports the same value however many there are.

The instruments live in ``REGISTRY``, not prometheus_client's global registry: a library user of
``shotlog.connect()`` gets no metrics registered behind their back, and two applications in one
test process share one set. This module imports nothing of shotlog, so the store may count its
commits here.
"""

from __future__ import annotations

from typing import Any

import prometheus_client
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)

__all__ = [
    "API3_CALLS",
    "API3_DURATION",
    "ARCHIVE_FAILURES_IN_A_ROW",
    "ARCHIVE_LAST_RUN",
    "ARCHIVE_RUNS",
    "HTTP_DURATION",
    "HTTP_REQUESTS",
    "REGISTRY",
    "WRITE_COMMITS",
    "WRITE_GROUP_SIZE",
    "WRITE_RETRIES",
    "Children",
    "archive_run",
]

# each counter's "_created" series doubles the scrape and no dashboard or alert here reads it
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry(auto_describe=True)
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

#: seconds; an api3 read takes about a millisecond, a large batch or summarize seconds
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "shotlog_http_requests",
    "HTTP requests answered, by interface (api3, rest, web, files, probe, metrics, other), "
    "HTTP method and status code",
    ["interface", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "shotlog_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by interface and route",
    ["interface", "method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
API3_CALLS = Counter(
    "shotlog_api3_calls",
    "api3 calls by method (shotgun_api3's name, 'unknown' for any other) and outcome "
    "(ok, fault, auth_failed, internal_error)",
    ["method", "outcome"],
    registry=REGISTRY,
)
API3_DURATION = Histogram(
    "shotlog_api3_call_duration_seconds",
    "Time to answer an api3 call, from its whole body read to its reply encoded, by method",
    ["method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
WRITE_COMMITS = Counter(
    "shotlog_write_commits",
    "Write transactions committed by this process's commit group (each may carry several writes)",
    registry=REGISTRY,
)
WRITE_GROUP_SIZE = Histogram(
    "shotlog_write_group_size",
    "Writes that shared one commit (1: a write alone)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
    registry=REGISTRY,
)
WRITE_RETRIES = Counter(
    "shotlog_write_retries",
    "Writes run again after the database aborted them for a serialization reason (should stay 0)",
    registry=REGISTRY,
)
ARCHIVE_RUNS = Counter(
    "shotlog_archive_runs",
    "Scheduled archive runs of this process by outcome (succeeded, failed, busy: another held the lock)",
    ["outcome"],
    registry=REGISTRY,
)
ARCHIVE_LAST_RUN = Gauge(
    "shotlog_archive_last_run_timestamp_seconds",
    "When this process's last archive run of each outcome ended (Unix time)",
    ["outcome"],
    registry=REGISTRY,
)
ARCHIVE_FAILURES_IN_A_ROW = Gauge(
    "shotlog_archive_consecutive_failures",
    "Archive runs of this process that failed since its last successful one",
    registry=REGISTRY,
)


class Children:
    """The children of a labelled metric, each made once: ``metric.labels(...)`` checks its values
    and takes a lock on every call, a few µs that every request paid twice over; this is one dict
    lookup. Only for label values from a bounded set (which a metric's labels must be anyway)."""

    __slots__ = ("_made", "_metric")

    def __init__(self, metric: Counter | Histogram) -> None:
        self._metric = metric
        self._made: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._made.get(values)
        if child is None:  # two threads may both make it: labels() hands both the same child
            child = self._made[values] = self._metric.labels(*values)
        return child


for _outcome in ("succeeded", "failed", "busy"):
    ARCHIVE_RUNS.labels(_outcome)  # present at 0 from the start, so rate() and alerts see them


def archive_run(outcome: str) -> None:
    """Count one archive run that ended with ``outcome`` (succeeded, failed or busy)."""
    ARCHIVE_RUNS.labels(outcome).inc()
    ARCHIVE_LAST_RUN.labels(outcome).set_to_current_time()
    if outcome == "succeeded":
        ARCHIVE_FAILURES_IN_A_ROW.set(0)
    elif outcome == "failed":
        ARCHIVE_FAILURES_IN_A_ROW.inc()
