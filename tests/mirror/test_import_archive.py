"""``shotlog mirror import-archive``: FPTR's archived-events CSV added to the archive's segments,
searchable beside the live log; idempotent; odd rows kept as given or reported by row number."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

import shotlog
from shotlog.archive import Archive, ArchiveFilter, ArchivePolicy
from shotlog.cli import main
from shotlog.eventlog.log import append_foreign
from shotlog.export.query import EventQuery
from testdbs import Databases

_COLUMNS = (
    "id", "event_type", "description", "created_at", "user", "project", "entity", "meta",
    "attribute_name", "session_uuid",
)  # fmt: skip


_ORDER = [{"field_name": "id", "direction": "asc"}]


def _link(t: str, i: int, name: str) -> str:
    return json.dumps({"type": t, "id": i, "name": name})


def _write_csv(path: Path) -> None:
    user, project = _link("HumanUser", 88, "Ann Archive"), _link("Project", 70, "Old Show")
    shot = _link("Shot", 5001, "sh010")
    rows = [
        # row 2: an event the new database's log already holds (its first setup event)
        ["1", "Shotgun_Project_New", "held", "2020-01-01 00:00:00", "", "", "", "", "", ""],
        ["1000001", "Shotgun_Shot_New", "Ann created sh010", "2021-03-04 10:00:00", user, project, shot,
         json.dumps({"type": "new_entity", "entity_type": "Shot", "entity_id": 5001}), "", "a1b2"],
        ["1000002", "Shotgun_Shot_Change", "Ann renamed sh010", "2021-03-05T11:00:00Z", user, project, shot,
         json.dumps({"type": "attribute_change", "old_value": "sh01", "new_value": "sh010"}), "code", ""],
        # row 5: fields that are not what their column says: kept as given
        ["1000003", "Studio_Tool_Ran", "a custom event", "yesterday", user, "Old Show", "", "not json {",
         "", ""],
        # row 6: no id to place it by
        ["abc", "Shotgun_Shot_Change", "no id", "2021-03-06 00:00:00", "", "", "", "", "", ""],
        # row 7: the next month, a segment of its own
        ["1000004", "Shotgun_Shot_Retirement", "Ann deleted sh010", "2021-04-01 09:00:00", user, project, "",
         json.dumps({"entity_type": "Shot", "entity_id": 5001}), "", ""],
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(_COLUMNS)
        writer.writerows(rows)


def test_archived_events_csv_is_searchable_in_the_archive(databases: Databases, tmp_path: Path) -> None:
    db_url, store_dir, csv_path = databases.new(), tmp_path / "archive", tmp_path / "events.csv"
    _write_csv(csv_path)
    args = ["mirror", "import-archive", str(csv_path), "--database", db_url, "--to", str(store_dir)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1, first.output
    assert "4 events imported in 2 segments, 1 already held, 1 not imported" in first.output
    assert "row 6: id 'abc' is not an event id" in first.output
    assert "row 5: created_at 'yesterday' is not a date; kept as given" in first.output
    assert "row 5: meta is not JSON; kept as given" in first.output
    assert "row 5: project 'Old Show' is not a link; kept as given" in first.output

    again = CliRunner().invoke(main, args)
    assert "0 events imported in 0 segments, 5 already held" in again.output, again.output

    with shotlog.connect(db_url) as store:
        archive = Archive(store, ArchivePolicy(url=str(store_dir)))
        assert [(s.month, s.first_id, s.last_id, s.event_count) for s in archive.segments()] == [
            ("2021-03", 1000001, 1000003, 3),
            ("2021-04", 1000004, 1000004, 1),
        ]
        page = archive.find(ArchiveFilter(EventQuery()), limit=50)
        by_id = {r["id"]: r for r in page.rows}
        assert sorted(by_id) == [1000001, 1000002, 1000003, 1000004]
        assert by_id[1000001]["entity"] == {"type": "Shot", "id": 5001, "name": "sh010"}
        assert by_id[1000001]["created_at"] == "2021-03-04T10:00:00Z"
        assert by_id[1000002]["meta"]["new_value"] == "sh010"
        assert by_id[1000003]["meta"] == "not json {" and by_id[1000003]["created_at"] == "yesterday"
        words = archive.find(ArchiveFilter(EventQuery(), words=("renamed",)), limit=50)
        assert [r["id"] for r in words.rows] == [1000002]
        shots = archive.find(ArchiveFilter(EventQuery(event_types=("Shotgun_Shot_*",))), limit=50)
        assert [r["id"] for r in shots.rows] == [1000001, 1000002, 1000004]
        # the live log is untouched: the archived events are read in place
        assert store.find("EventLogEntry", [["id", "greater_than", 1000000]], ["id"]) == []


def test_archive_pages_read_imported_events_inside_a_segment_of_the_job(
    databases: Databases, tmp_path: Path
) -> None:
    """On a mirror the live log holds the database's setup events (low ids) and the site's (high
    ids); the archive job then writes one segment whose id range spans the imported ones. Paging
    the archive with an id cursor (the web UI's Archived Data page) must still read them, in id
    order."""
    db_url, store_dir, csv_path = databases.new(), tmp_path / "archive", tmp_path / "events.csv"
    _write_csv(csv_path)
    CliRunner().invoke(
        main, ["mirror", "import-archive", str(csv_path), "--database", db_url, "--to", str(store_dir)]
    )
    with shotlog.connect(db_url) as store:
        setup_events = store.find("EventLogEntry", [], ["created_at"], _ORDER)
        setup = [e["id"] for e in setup_events]
        when = setup_events[-1]["created_at"].astimezone(dt.UTC).replace(tzinfo=None)
        site_ids = list(range(2000001, 2000007))
        with store.db.write() as conn:  # the site's events, as the mirror appends them
            append_foreign(
                conn,
                store.db,
                [{"id": i, "event_type": "Shotgun_Shot_Change", "created_at": when} for i in site_ids],
            )
        archive = Archive(
            store, ArchivePolicy(url=str(store_dir), keep_days=36500, segment_events=10_000_000)
        )
        archive.run(now=when + dt.timedelta(days=400))
        spanning = [s for s in archive.segments() if s.first_id <= 1000001 and s.last_id >= 1000004]
        assert spanning, archive.segments()  # the situation this test is about
        seen: list[int] = []
        after = 0
        while True:
            page = archive.find(ArchiveFilter(EventQuery()), after=after, limit=3)
            seen += [r["id"] for r in page.rows]
            if page.next_after is None:
                break
            after = page.next_after
    # every archived id once, in id order: the setup events, the imported ones, the site's but its newest
    assert seen == [*setup, 1000001, 1000002, 1000003, 1000004, *site_ids[:-1]]
