"""A plugin's two cursor tiers without a daemon: what reaches the progress file, what the database,
and which one a restart takes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from shotlog.daemon.checkpoint import Checkpoint
from shotlog.daemon.cursors import Cursor
from shotlog.daemon.events import Event
from shotlog.daemon.progress import ProgressFile

KEY = ("plugins", "p")


def _cursor(position: int = 0, token: int = 0, **changes: Any) -> Cursor:
    base = Cursor(
        collection=KEY[0],
        plugin=KEY[1],
        position=position,
        last_event_id=position or None,
        pending=(),
        done_callbacks=(),
        fence_event_id=None,
        state="running",
        paused=False,
        resume_token=token,
        last_error=None,
        error_event_id=None,
        processed=0,
        errors=0,
        path=None,
        updated_at=dt.datetime(2026, 1, 1),
    )
    return dataclasses.replace(base, **changes)


class FakeStore:
    """The database tier: one row, its commits counted."""

    def __init__(self, cursor: Cursor) -> None:
        self.row = cursor
        self.commits: list[int] = []

    def advance(self, collection: str, plugin: str, *, position: int, token: int, **counts: Any) -> bool:
        if token != self.row.resume_token:
            return False
        self.row = dataclasses.replace(
            self.row, position=position, processed=self.row.processed + counts["handled"]
        )
        self.commits.append(position)
        return True

    def get(self, collection: str, plugin: str) -> Cursor:
        return self.row


def _event(i: int) -> Event:
    return Event(position=i, id=i, data={"id": i})


def _checkpoint(
    store: FakeStore, path: Path, every: int = 1000, moved: list[int] | None = None
) -> Checkpoint:
    return Checkpoint(
        store,  # type: ignore[arg-type]
        KEY,
        ProgressFile(path),
        store.row,
        every=every,
        interval=3600,
        ordered=True,
        on_moved=(moved if moved is not None else []).append,
    )


def test_every_handled_event_reaches_the_file_and_the_database_in_batches(tmp_path: Path) -> None:
    store = FakeStore(_cursor())
    cp = _checkpoint(store, tmp_path / "p.cursor", every=3)
    for i in range(1, 6):
        cp.handled(_event(i), failures=0)
    assert store.commits == [3]
    record = ProgressFile(tmp_path / "p.cursor").read()
    assert record is not None and (record.position, record.base, record.handled) == (5, 3, 2)


def test_events_no_callback_matched_are_written_at_the_end_of_the_page(tmp_path: Path) -> None:
    store = FakeStore(_cursor())
    cp = _checkpoint(store, tmp_path / "p.cursor")
    cp.skipped(_event(1))
    cp.skipped(_event(2))
    assert ProgressFile(tmp_path / "p.cursor").read() is None
    cp.end_of_page()
    record = ProgressFile(tmp_path / "p.cursor").read()
    assert record is not None and record.position == 2 and store.commits == []


def test_a_restart_takes_the_file_only_when_it_continues_the_database_cursor(tmp_path: Path) -> None:
    store = FakeStore(_cursor())
    cp = _checkpoint(store, tmp_path / "p.cursor")
    for i in range(1, 4):
        cp.handled(_event(i), failures=0)
    cp.file.close()  # a kill -9: nothing committed, the file holds event 3
    assert store.commits == []

    again = _checkpoint(store, tmp_path / "p.cursor")
    assert again.state.position == 3 and store.commits == [3] and store.row.processed == 3
    again.file.close()

    # an operator moved the cursor while the daemon was down: the database wins
    cp = _checkpoint(store, tmp_path / "p.cursor")
    cp.handled(_event(4), failures=0)
    cp.file.close()
    store.row = dataclasses.replace(store.row, position=1, resume_token=1)
    third = _checkpoint(store, tmp_path / "p.cursor")
    assert third.state.position == 1


def test_a_commit_after_an_operators_move_hands_the_move_to_the_worker(tmp_path: Path) -> None:
    store = FakeStore(_cursor())
    moved: list[int] = []
    cp = _checkpoint(store, tmp_path / "p.cursor", moved=moved)
    cp.handled(_event(1), failures=0)
    store.row = dataclasses.replace(store.row, position=0, resume_token=7, done_callbacks=(), moved=True)
    cp.commit()
    assert moved == [7] and store.row.position == 0
