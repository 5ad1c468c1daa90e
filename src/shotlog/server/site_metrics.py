"""The site's state as Prometheus metrics, read from the database at each scrape.

Counters kept in a process diverge when several processes share a database: each ``shotlog
serve`` sees its own requests, and a delivery made by a ``shotlog worker`` is seen by none of
them. What describes the site itself is therefore read where it is kept, when Prometheus asks:
every process reports the same figures, and a dashboard takes one of them (``max without
(instance)``). Each family below says where it comes from:

* the event log's head id (its rate of increase is the append rate) and the archive's floor;
* per webhook hook: deliveries by state, requests delivered since the hook was made (a counter kept
  in the hook's row), the age of the oldest event still owed, the status; the dispatcher's lag;
* per daemon plugin: lag in events, events processed and errors (counters kept in its cursor row),
  state; per daemon whether a live process holds it;
* on a database that mirrors an FPTR site, the mirror's lag (``shotlog.mirror.status``).

A scrape whose reads fail reports ``shotlog_database_up 0`` and none of the families above, rather
than failing the whole scrape: the process's own metrics still tell what it is doing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shotlog.clock import utcnow
from shotlog.connection import Shotlog
from shotlog.daemon.status import STATES as PLUGIN_STATES
from shotlog.daemon.status import read_status
from shotlog.eventlog.floor import archived_through
from shotlog.mirror.status import mirror_status
from shotlog.webhooks.backlog import read_backlog
from shotlog.webhooks.dispatching import cursor_position
from shotlog.webhooks.status import HookStatus

__all__ = ["SiteCollector"]

log = logging.getLogger(__name__)


class SiteCollector(Collector):
    """A prometheus_client collector of the site's state (see the module)."""

    def __init__(self, store: Shotlog) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "shotlog_database_up", "Whether this scrape's reads of the database succeeded (1) or not (0)"
        )
        try:
            families = list(self._families())
        except Exception:
            log.warning("metrics: reading the site's state from the database failed", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        db = self.store.db
        head = self.store.head_event_id()
        yield _gauge("shotlog_event_log_head_event_id", "Id of the newest event in the log", head)
        yield _gauge(
            "shotlog_event_log_archived_through_event_id",
            "Highest event id moved to the archive (0: none)",
            archived_through(db),
        )
        yield from _webhook_families(self.store, head)
        yield from _daemon_families(self.store, head)
        yield from _mirror_families(self.store)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def _webhook_families(store: Shotlog, head: int) -> Iterator[Metric]:
    db = store.db
    yield _gauge(
        "shotlog_webhook_dispatch_lag_events",
        "Events in the log not yet turned into deliveries by the dispatcher",
        max(0, head - cursor_position(db)),
    )
    hooks = read_backlog(db)
    labels = ["hook", "name"]
    by_state = GaugeMetricFamily(
        "shotlog_webhook_deliveries",
        "Deliveries in the log by state (delivered ones are counted by shotlog_webhook_delivered_total)",
        labels=[*labels, "state"],
    )
    delivered = CounterMetricFamily(
        "shotlog_webhook_delivered",
        "Deliveries a receiver accepted since the hook was made (kept in the hook's row)",
        labels=labels,
    )
    lag = GaugeMetricFamily(
        "shotlog_webhook_lag_seconds",
        "Age of the event of the hook's oldest pending or held delivery (0: nothing owed)",
        labels=labels,
    )
    status = GaugeMetricFamily(
        "shotlog_webhook_status", "The hook's status (1 for its current one)", labels=[*labels, "status"]
    )
    now = utcnow()
    for hook in hooks:
        ids = [hook.hook_id, hook.name]
        for state, n in hook.by_state.items():
            by_state.add_metric([*ids, state], n)
        delivered.add_metric(ids, hook.delivered)
        age = 0.0 if hook.oldest_owed is None else max(0.0, (now - hook.oldest_owed).total_seconds())
        lag.add_metric(ids, age)
        for value in HookStatus:
            status.add_metric([*ids, str(value)], 1 if hook.status == value else 0)
    yield from (by_state, delivered, lag, status)


def _daemon_families(store: Shotlog, head: int) -> Iterator[Metric]:
    daemons = read_status(store.db, head_event_id=head)
    running = GaugeMetricFamily(
        "shotlog_daemon_running",
        "Whether a live process holds the daemon (heartbeat within 15 s)",
        labels=["daemon"],
    )
    labels = ["daemon", "collection", "plugin"]
    lag = GaugeMetricFamily(
        "shotlog_daemon_plugin_lag_events",
        "Events between the plugin's cursor and the head of its source",
        labels=labels,
    )
    processed = CounterMetricFamily(
        "shotlog_daemon_plugin_processed", "Events the plugin's callbacks handled", labels=labels
    )
    errors = CounterMetricFamily(
        "shotlog_daemon_plugin_errors", "Callback errors of the plugin", labels=labels
    )
    state = GaugeMetricFamily(
        "shotlog_daemon_plugin_state", "The plugin's state (1 for its current one)", labels=[*labels, "state"]
    )
    for daemon in daemons:
        running.add_metric([daemon.daemon], 1 if daemon.running else 0)
        for plugin in daemon.plugins:
            ids = [plugin.daemon, plugin.collection, plugin.plugin]
            if plugin.lag is not None:
                lag.add_metric(ids, plugin.lag)
            processed.add_metric(ids, plugin.processed)
            errors.add_metric(ids, plugin.errors)
            for value in PLUGIN_STATES:
                state.add_metric([*ids, value], 1 if plugin.state == value else 0)
    yield from (running, lag, processed, errors, state)


def _mirror_families(store: Shotlog) -> Iterator[Metric]:
    """The mirror's lag; nothing on a database that mirrors no site."""
    status = mirror_status(store.db)
    if status is None:
        return
    site = [str(status["site"])]
    for name, documentation, key in (
        (
            "shotlog_mirror_lag_events",
            "Events the mirrored site has after the last one mirrored",
            "lag_events",
        ),
        (
            "shotlog_mirror_lag_seconds",
            "How much older, on the site's clock, the last mirrored event is than the site's newest",
            "lag_seconds",
        ),
        ("shotlog_mirror_last_event_id", "The site's id of the last event mirrored", "last_event_id"),
    ):
        family = GaugeMetricFamily(name, documentation, labels=["site"])
        family.add_metric(site, float(status[key]))
        yield family
    gaps = GaugeMetricFamily(
        "shotlog_mirror_open_gaps", "Ids missing below the site's newest, still awaited", labels=["site"]
    )
    gaps.add_metric(site, len(status["open_gaps"]))
    yield gaps
