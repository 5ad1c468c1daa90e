"""The retention policy and the pure decisions of the archive job.

``ArchivePolicy`` holds the settings (live window, archive window, destination, schedule); the
functions below decide, from plain values, where the archive cut falls, how a range of ids splits
into month segments, what a segment's object is called, and which segments are due for purging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from shotlog.errors import ValidationError
from shotlog.settings import (
    ARCHIVE_INTERVAL,
    ARCHIVE_KEEP_DAYS,
    ARCHIVE_LIVE_DAYS,
    ARCHIVE_S3_ENDPOINT,
    ARCHIVE_S3_REGION,
    ARCHIVE_SEGMENT_EVENTS,
    ARCHIVE_URL,
)

__all__ = [
    "ArchivePolicy",
    "month_of",
    "next_month",
    "purge_due",
    "segment_key",
]


@dataclass(frozen=True)
class ArchivePolicy:
    """Retention settings. ``url`` None means no archive is configured (the job refuses to run)."""

    url: str | None = None
    live_days: int = ARCHIVE_LIVE_DAYS.default
    keep_days: int = ARCHIVE_KEEP_DAYS.default
    #: seconds between scheduled runs inside ``shotlog serve``; 0 turns the schedule off
    interval: float = ARCHIVE_INTERVAL.default
    #: the most events one segment (and one delete transaction) holds
    segment_events: int = ARCHIVE_SEGMENT_EVENTS.default
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
        return cls(
            url=ARCHIVE_URL.read(env),
            live_days=ARCHIVE_LIVE_DAYS.read(env),
            keep_days=ARCHIVE_KEEP_DAYS.read(env),
            interval=ARCHIVE_INTERVAL.read(env),
            segment_events=ARCHIVE_SEGMENT_EVENTS.read(env),
            s3_endpoint=ARCHIVE_S3_ENDPOINT.read(env),
            s3_region=ARCHIVE_S3_REGION.read(env),
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
