"""A sample production for ``shotlog serve --demo``: nine months of three shows, dated as they happened.

    from shotlog.demo import seed_demo

    report = seed_demo("sqlite:///demo.db", seed=1, archive_url="demo.db.archive")

The story (``shotlog.demo.story``) is a pure function of a seed and the moment it ends (now, by
default): the same seed gives the same events, moved to end at that moment. It is written through
the Python API as its people, with a connection whose ``write_clock`` dates each write at its beat
(``shotlog.demo.loader``); the months older than the live window are then archived by shotlog's own
archive run. A database whose log already holds events newer than the story's first day is refused:
events are appended in time order, and a history cannot go in before them.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.demo.cast import SHOWS, STORY_DAYS
from shotlog.demo.loader import DemoRefused, Stage, StoryClock, archive, newest_event_at
from shotlog.demo.story import plot, story_start
from shotlog.eventlog import read as eventlog
from shotlog.files.service import open_site_files

__all__ = [
    "DEFAULT_SEED",
    "DEMO_PROJECT",
    "STORY_DAYS",
    "DemoRefused",
    "DemoReport",
    "default_archive_url",
    "seed_demo",
]

DEFAULT_SEED = 1
#: the first project of the story (what a second ``--demo`` looks for)
DEMO_PROJECT = SHOWS[0].name


@dataclass(frozen=True)
class DemoReport:
    """What ``seed_demo`` wrote: ``created`` is False when the demo was already there."""

    project: str
    created: bool
    events: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    archived_events: int = 0
    segments: tuple[str, ...] = ()
    archive_url: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.created:
            return f"{self.project} (already there)"
        span = f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}" if self.first and self.last else "none"
        archived = ""
        if self.segments:
            archived = (
                f"; {self.archived_events} archived in {len(self.segments)} segments at {self.archive_url}"
            )
        took = f"{self.seconds:.1f} s"
        return f"{self.project} and two more shows, {self.events} events from {span}{archived} ({took})"


def default_archive_url(database_url: str) -> str:
    """Where the demo archives when ``SHOTLOG_ARCHIVE_URL`` is unset: ``<database file>.archive``
    beside a SQLite file, else ``./shotlog-archive`` (as uploaded files go beside the database)."""
    try:
        url = sa.engine.make_url(database_url)
    except ArgumentError:
        return "shotlog-archive"
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        return database + ".archive"
    return "shotlog-archive"


def seed_demo(
    url: str,
    *,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
    archive_url: str | None = None,
    sqlite_synchronous: str = "NORMAL",
    days: int = STORY_DAYS,
) -> DemoReport:
    """Write the demo into the database at ``url`` (once: a second call finds it and returns).

    ``now`` (naive UTC, default the real time) is when the story ends; ``archive_url`` None skips
    the archive run; a shorter ``days`` writes only the story's beginning. SQLite commits without
    a sync per write by default: the demo can be made again.
    """
    begun = time.perf_counter()
    end = (now or utcnow_seconds()).replace(microsecond=0)
    start = story_start(end, days)
    clock = StoryClock(start)
    sg = Shotlog(url, sqlite_synchronous=sqlite_synchronous, write_clock=clock)
    try:
        if sg.find_one("Project", [["name", "is", DEMO_PROJECT]]) is not None:
            return DemoReport(DEMO_PROJECT, created=False)
        newest = newest_event_at(sg)
        if newest is not None and newest > start:
            raise DemoRefused(
                f"the demo's history begins {start:%Y-%m-%d} and this database already has events "
                f"up to {newest:%Y-%m-%d %H:%M}: load the demo into a new database",
                value=url,
            )
        files = open_site_files(sg)
        try:
            Stage(sg, clock, files).play(plot(seed, end, days))
        finally:
            files.renderer.close()  # its process would outlive the demo
        with sg.db.read() as conn:
            low, high = eventlog.bounds(conn) or (1, 0)
            first, last = eventlog.created_at_from(conn, low), eventlog.created_at_through(conn, high)
        run = archive(sg, archive_url, end) if archive_url else None
    finally:
        sg.close()
    return DemoReport(
        DEMO_PROJECT,
        created=True,
        events=high - low + 1,  # a new log: no gaps before the archive run
        first=first,
        last=last,
        archived_events=run.archived_events if run else 0,
        segments=tuple(run.segments) if run else (),
        archive_url=archive_url,
        seconds=time.perf_counter() - begun,
    )
