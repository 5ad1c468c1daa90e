"""The retention policy and the pure decisions of the archive job.

``ArchivePolicy`` holds the settings (live window, archive window, destination, schedule); the
functions below decide, from plain values, where the archive cut falls, how a range of ids splits
into month segments, what a segment's object is called, and which segments are due for purging.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shotlog.errors import ValidationError

__all__ = [
    "ArchivePolicy",
    "month_of",
    "next_month",
    "purge_due",
    "segment_key",
]

DEFAULT_LIVE_DAYS = 183
DEFAULT_KEEP_DAYS = 1826  # five years
DEFAULT_INTERVAL = 86400
DEFAULT_SEGMENT_EVENTS = 500_000


@dataclass(frozen=True)
class ArchivePolicy:
    """Retention settings. ``url`` None means no archive is configured (the job refuses to run)."""

    url: str | None = None
    live_days: int = DEFAULT_LIVE_DAYS
    keep_days: int = DEFAULT_KEEP_DAYS
    #: seconds between scheduled runs inside ``shotlog serve``; 0 turns the schedule off
    interval: float = DEFAULT_INTERVAL
    #: the most events one segment (and one delete transaction) holds
    segment_events: int = DEFAULT_SEGMENT_EVENTS
    s3_endpoint: str | None = None
    s3_region: str | None = None

    def __post_init__(self) -> None:
        if self.live_days < 1:
            raise ValidationError(
                f"the live window must be at least 1 day, got {self.live_days}", field="live_days"
            )
        if self.keep_days < self.live_days:
            raise ValidationError(
                f"the archive window ({self.keep_days} days) must be at least "
                f"the live window ({self.live_days} days)",
                field="keep_days",
            )
        if self.interval < 0:
            raise ValidationError(
                f"the archive interval must be >= 0 seconds, got {self.interval}", field="interval"
            )
        if self.segment_events < 1:
            raise ValidationError(
                f"segment size must be positive, got {self.segment_events}", field="segment_events"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ArchivePolicy:
        env = os.environ if env is None else env

        def number(name: str, default: float, cast: Callable[[str], float] = int) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return cast(raw)
            except ValueError:
                raise ValidationError(f"{name} must be a number, got {raw!r}", field=name) from None

        url = env.get("SHOTLOG_ARCHIVE_URL") or None
        endpoint = env.get("SHOTLOG_ARCHIVE_S3_ENDPOINT") or None
        return cls(
            url=None if url == "none" else url,
            live_days=int(number("SHOTLOG_ARCHIVE_LIVE_DAYS", DEFAULT_LIVE_DAYS)),
            keep_days=int(number("SHOTLOG_ARCHIVE_KEEP_DAYS", DEFAULT_KEEP_DAYS)),
            interval=number("SHOTLOG_ARCHIVE_INTERVAL", DEFAULT_INTERVAL, float),
            segment_events=int(number("SHOTLOG_ARCHIVE_SEGMENT_EVENTS", DEFAULT_SEGMENT_EVENTS)),
            s3_endpoint=None if endpoint == "none" else endpoint,
            s3_region=env.get("SHOTLOG_ARCHIVE_S3_REGION") or None,
        )

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """Events created before this leave the live log."""
        return now - dt.timedelta(days=self.live_days)

    def purge_before(self, now: dt.datetime) -> dt.datetime:
        """Segments whose newest event is older than this are deleted from the archive."""
        return now - dt.timedelta(days=self.keep_days)


def month_of(when: dt.datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}"


def next_month(when: dt.datetime) -> dt.datetime:
    """Midnight of the first day of the month after ``when``."""
    return dt.datetime(when.year + (when.month == 12), when.month % 12 + 1, 1)


def segment_key(month: str, first_id: int, last_id: int) -> str:
    """``2024/2024-03/events-000000000001-000000250000.jsonl.gz``: sorts by time, names its ids."""
    return f"{month[:4]}/{month}/events-{first_id:012d}-{last_id:012d}.jsonl.gz"


def purge_due(last_at: dt.datetime | None, now: dt.datetime, policy: ArchivePolicy) -> bool:
    return last_at is not None and last_at < policy.purge_before(now)
