"""kill -9 of a real archive process at every step loses and duplicates nothing.

A child process runs the archive job and, at a chosen step of a chosen segment, writes a marker
and waits; the test then kills it with SIGKILL. Right after the kill (before any recovery) every
event must be either live or in a ``done`` segment; a second run must finish the work with the same
guarantee, and the archived records must be the events exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from archivekit import NOW, records

import shotlog
from shotlog.archive import Archive, ArchivePolicy
from shotlog.archive.segments import iter_records

CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    import shotlog
    from shotlog.archive import Archive, ArchivePolicy

    url, dest, step, nth, marker, now = sys.argv[1:7]
    seen = {"n": 0}

    def checkpoint(name, info):
        if name == step:
            seen["n"] += 1
            if seen["n"] == int(nth):
                Path(marker).write_text(info.get("key", ""))
                time.sleep(120)  # the test kills us here

    sg = shotlog.connect(url, migrate=False)
    policy = ArchivePolicy(url=dest, live_days=183, segment_events=9)
    Archive(sg, policy).run(now=dt.datetime.fromisoformat(now), checkpoint=checkpoint)
    """
)


def _split(archive: Archive, sg: shotlog.Shotlog, before: list[dict[str, Any]]) -> int:
    archived = [r for s in archive.segments() for r in iter_records(archive.storage, s)]
    live = records(sg)
    assert {r["id"] for r in archived}.isdisjoint({r["id"] for r in live}), (
        "an event is both live and archived"
    )
    assert sorted(archived + live, key=lambda r: r["id"]) == before, "an event was lost or changed"
    return len(archived)


@pytest.mark.parametrize(
    ("step", "nth"), [("planned", 1), ("written", 2), ("uploaded", 1), ("stored", 2), ("done", 1)]
)
def test_kill_at_each_step(
    db_url: str, old_log: list[dict[str, Any]], sg: shotlog.Shotlog, tmp_path: Path, step: str, nth: int
) -> None:
    dest = tmp_path / "arch"
    archive = Archive(sg, ArchivePolicy(url=str(dest), live_days=183, segment_events=9))
    _kill_child_at(tmp_path, CHILD, db_url, dest, step, nth, NOW)

    _split(archive, sg, old_log)  # consistent right after the kill, before any recovery
    report = archive.run(now=NOW)
    if step != "done":
        assert report.resumed, "the interrupted segment was not finished"
    assert _split(archive, sg, old_log) > 0
    assert archive.run(now=NOW).archived_events == 0
    leftovers = [p for p in dest.rglob(".*") if p.is_file()]
    assert all(".part-" in p.name for p in leftovers)  # a killed copy's temporary file, never a segment name


def test_kill_during_a_purge(
    db_url: str, old_log: list[dict[str, Any]], sg: shotlog.Shotlog, tmp_path: Path
) -> None:
    dest = tmp_path / "arch"
    archive = Archive(sg, ArchivePolicy(url=str(dest), live_days=183, keep_days=200, segment_events=9))
    archive.run(now=NOW - dt.timedelta(days=60))
    live = records(sg)
    child = CHILD.replace("live_days=183, segment_events=9", "live_days=183, keep_days=200, segment_events=9")
    key = _kill_child_at(tmp_path, child, db_url, dest, "purging", 1, NOW)
    states = {s.key: s.state for s in archive.segments(include_purged=True)}
    assert states[key] == "purging"
    archive.run(now=NOW)
    states = {s.key: s.state for s in archive.segments(include_purged=True)}
    assert states[key] == "purged" and not (dest / key).exists()
    assert {r["id"] for r in records(sg)} <= {r["id"] for r in live}


def _kill_child_at(
    tmp_path: Path, code: str, db_url: str, dest: Path, step: str, nth: int, now: dt.datetime
) -> str:
    """Run the job in a child process, SIGKILL it at the ``nth`` ``step``; the segment key it was on."""
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(code)
    child = subprocess.Popen(
        [sys.executable, str(script), db_url, str(dest), step, str(nth), str(marker), now.isoformat()]
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, f"the archive child exited early with {child.returncode}"
            assert time.monotonic() < deadline, "the child never reached the step"
            time.sleep(0.05)
        time.sleep(0.05)  # the marker is written before the pause: let the write finish
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    return marker.read_text()
