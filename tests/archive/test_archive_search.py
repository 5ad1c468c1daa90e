"""Searching archived events in place, a page at a time (``Archive.find``, ``find_archived``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from archivekit import NOW

import shotlog
from shotlog.archive import Archive, ArchiveFilter, ArchivePolicy
from shotlog.archive.search import find_archived
from shotlog.archive.segments import list_segments
from shotlog.export import EventQuery, ExportError


@pytest.fixture
def archive(sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path) -> Archive:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch")))
    archive.run(now=NOW)
    return archive


def _archived(archive: Archive, old_log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in old_log if r["id"] < archive.live_floor()]


def test_pages_follow_the_cursor_to_the_end(archive: Archive, old_log: list[dict[str, Any]]) -> None:
    everything = [r["id"] for r in _archived(archive, old_log)]
    seen: list[int] = []
    after = 0
    while True:
        page = archive.find(ArchiveFilter(), after=after, limit=7)
        assert len(page.rows) <= 7
        seen += [r["id"] for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == everything
    # the last page says the archive is exhausted, even when it is full
    exact = archive.find(ArchiveFilter(), limit=len(everything))
    assert [r["id"] for r in exact.rows] == everything


def test_description_words_and_attribute_match_like_the_event_log(
    archive: Archive, old_log: list[dict[str, Any]]
) -> None:
    archived = _archived(archive, old_log)
    where = ArchiveFilter(
        EventQuery(event_types=("Shotgun_Shot_*",)), words=("STATUS", "ip"), attribute="sg_status_list"
    )
    expected = [
        r["id"]
        for r in archived
        if r["event_type"].startswith("Shotgun_Shot_")
        and "status" in r["description"].lower()
        and "ip" in r["description"].lower()
        and r["attribute_name"] == "sg_status_list"
    ]
    assert expected
    assert [r["id"] for r in archive.find(where).rows] == expected
    # the same filter downloads the same events
    lines = b"".join(archive.download("jsonl", query=where).chunks()).splitlines()
    assert len(lines) == len(expected)


def test_a_rare_match_is_searched_a_bounded_stretch_at_a_time(
    archive: Archive, old_log: list[dict[str, Any]]
) -> None:
    archived = _archived(archive, old_log)
    last = archived[-1]
    where = ArchiveFilter(EventQuery(ids=(last["id"],)))
    segments = list_segments(archive.store.db)
    page = find_archived(archive.storage, segments, where, scan_limit=10)
    assert page.rows == [] and page.scanned == 10 and page.next_after == archived[9]["id"]
    found: list[int] = []
    after: int | None = 0
    while after is not None:
        page = find_archived(archive.storage, segments, where, after=after, scan_limit=10)
        found += [r["id"] for r in page.rows]
        after = page.next_after
    assert found == [last["id"]]


def test_a_bad_query_is_refused_before_reading(archive: Archive) -> None:
    with pytest.raises(ExportError, match="entity type"):
        archive.find(ArchiveFilter(EventQuery(entity_type="no such type!")))
