"""Events from an FPTR archived-events CSV, added to the archive as segments of their own.

FPTR moves events older than its retention (six months) off the site, for download as CSV files.
Those events have ids below the ones the site (and a mirror of it) still serves, and they belong
beside the archive's own segments: ``shotlog archive search``, the downloads and the web UI's
archive pages then read them with the rest (``segments.scan``), without restoring them.

``read_csv`` turns the file into records of the archive's JSON Lines shape (pure, with a list of
what each row needed); ``import_records`` leaves out what is already held (an id in the live log
or in an archived segment: importing a file twice adds nothing) and writes the rest as segments,
one per run of consecutive ids in one month, so no two segments' id ranges overlap.

The columns are EventLogEntry's field names (``id``, ``event_type``, ``description``,
``created_at``, ``user``, ``project``, ``entity``, ``meta``, ``attribute_name``, ``session_uuid``,
``image``); a link is a JSON object (``{"type": "Shot", "id": 12, "name": "sh010"}``), or three
columns ``<link>_type``, ``<link>_id``, ``<link>_name`` as ``shotlog events export`` writes them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from shotlog.archive.policy import month_of, segment_key
from shotlog.archive.segments import Segment, iter_records, list_segments
from shotlog.archive.storage import ObjectStore
from shotlog.clock import utcnow_seconds
from shotlog.eventlog import read as eventlog_read
from shotlog.export.query import parse_iso
from shotlog.store.database import Database
from shotlog.store.tables import archive_segments as seg

__all__ = ["ImportReport", "Parsed", "import_records", "read_csv"]

_TEXT = ("event_type", "description", "attribute_name", "session_uuid", "image")
_LINKS = ("entity", "project", "user")
#: where imported segments are kept in the archive's storage
_PREFIX = "imported/"
#: a month for the records whose created_at cannot be read and that no neighbour places
_UNDATED = "0000-00"


@dataclass
class Parsed:
    """What a file holds: records by id, and a note per row that needed one (row 1 is the header)."""

    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: rows not imported: no id to place them by, or a second, different event with a used id
    refused: list[str] = field(default_factory=list)
    #: rows imported with a field kept as given (not a date, not JSON, not a link)
    kept_as_given: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass
class ImportReport:
    parsed: Parsed
    imported: int = 0
    #: ids already in the live log or the archive (a second import of the same file: all of them)
    already_held: int = 0
    segments: list[str] = field(default_factory=list)


def read_csv(path: Path) -> Parsed:
    """The file's rows as archive records (a pure reading; nothing dropped without a note)."""
    parsed = Parsed()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "id" not in reader.fieldnames:
            raise ValueError(f"{path}: the first row must name the columns, an `id` among them")
        for number, row in enumerate(reader, start=2):
            parsed.rows += 1
            _read_row(number, row, parsed)
    return parsed


def _read_row(number: int, row: Mapping[str, Any], parsed: Parsed) -> None:
    raw_id = (row.get("id") or "").strip()
    try:
        event_id = int(raw_id)
    except ValueError:
        event_id = 0
    if event_id < 1:
        parsed.refused.append(f"row {number}: id {raw_id!r} is not an event id; not imported")
        return
    notes: list[str] = []
    record: dict[str, Any] = {"id": event_id}
    for name in _TEXT:
        record[name] = _blank(row.get(name))
    for name in _LINKS:
        record[name] = _link(row, name, notes)
    meta = _blank(row.get("meta"))
    if meta is not None:
        try:
            meta = orjson.loads(meta)
        except orjson.JSONDecodeError:
            notes.append("meta is not JSON")
    record["meta"] = meta
    created = _blank(row.get("created_at"))
    when = parse_iso(created.replace(" ", "T", 1) if created else None)
    if created is not None and when is None:
        notes.append(f"created_at {created!r} is not a date")
    record["created_at"] = created if when is None else when.isoformat() + "Z"
    if record["event_type"] is None:
        notes.append("no event_type")
    previous = parsed.records.get(event_id)
    if previous is not None:
        if previous != record:
            parsed.refused.append(
                f"row {number}: id {event_id} is in the file twice, differently; the first kept"
            )
        return
    parsed.records[event_id] = record
    parsed.kept_as_given += [f"row {number}: {note}; kept as given" for note in notes]


def _blank(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _link(row: Mapping[str, Any], name: str, notes: list[str]) -> Any:
    text = _blank(row.get(name))
    if text is None:
        t, i, n = (_blank(row.get(f"{name}_{part}")) for part in ("type", "id", "name"))
        if t is None and i is None:
            return None
        if t is not None and i is not None and i.isdigit():
            return {"type": t, "id": int(i), "name": n}
        notes.append(f"{name}_type/{name}_id {t!r}/{i!r} are not a link")
        return {"type": t, "id": i, "name": n}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("type"), str) and isinstance(value.get("id"), int):
        return {"type": value["type"], "id": value["id"], "name": value.get("name")}
    notes.append(f"{name} {text!r} is not a link")
    return {"type": None, "id": None, "name": text}


# -- into the archive -------------------------------------------------------------------------------------


def import_records(db: Database, storage: ObjectStore, parsed: Parsed) -> ImportReport:
    """Add the records nobody holds yet to the archive, as segments (see the module docstring).

    Each segment's object is stored before its ``done`` row is committed: a killed import leaves at
    most an object no row names, which the next import of the file writes again under its key."""
    report = ImportReport(parsed)
    existing = list_segments(db, include_purged=True)
    held = _held(db, storage, existing, sorted(parsed.records))
    report.already_held = len(held)
    fresh = [parsed.records[i] for i in sorted(parsed.records) if i not in held]
    for run in _runs(fresh, existing, parsed):
        report.segments.append(_write_segment(db, storage, run))
        report.imported += len(run)
    return report


def _held(db: Database, storage: ObjectStore, existing: Sequence[Segment], ids: list[int]) -> set[int]:
    """The ids already in the live log or in an archived segment."""
    with db.read() as conn:
        held = set(eventlog_read.rows_by_id(conn, ids))
    if ids:
        lo, hi = ids[0], ids[-1]
        for segment in existing:
            if segment.state == "done" and segment.last_id >= lo and segment.first_id <= hi:
                held.update(
                    int(r["id"]) for r in iter_records(storage, segment) if isinstance(r.get("id"), int)
                )
    return held


def _runs(
    records: list[dict[str, Any]], existing: Sequence[Segment], parsed: Parsed
) -> Iterable[list[dict[str, Any]]]:
    """Records in id order cut where the month changes or an existing segment's range begins; a
    record inside an existing segment's range (a purged one, or a gap in one) is refused."""
    ranges = [(s.first_id, s.last_id) for s in existing]
    run: list[dict[str, Any]] = []
    month = _UNDATED
    for record in records:
        event_id = int(record["id"])
        inside = next((r for r in ranges if r[0] <= event_id <= r[1]), None)
        if inside is not None:
            parsed.refused.append(
                f"id {event_id}: inside archived segment {inside[0]}..{inside[1]}, "
                "which does not hold it; not imported"
            )
            continue
        when = parse_iso(record["created_at"])
        this_month = month_of(when) if when is not None else month
        crosses = run and any(int(run[-1]["id"]) < r[0] < event_id for r in ranges)
        if run and (this_month != month or crosses):
            yield run
            run = []
        month = this_month
        run.append(record)
    if run:
        yield run


def _write_segment(db: Database, storage: ObjectStore, run: list[dict[str, Any]]) -> str:
    body = io.BytesIO()
    with gzip.GzipFile(fileobj=body, mode="wb", compresslevel=6, mtime=0) as gz:
        for record in run:
            gz.write(orjson.dumps(record) + b"\n")
    data = body.getvalue()
    first, last = int(run[0]["id"]), int(run[-1]["id"])
    dates = [d for d in (parse_iso(r["created_at"]) for r in run) if d is not None]
    month = month_of(dates[0]) if dates else _UNDATED
    key = _PREFIX + segment_key(month, first, last)
    storage.put_bytes(key, data)
    now = utcnow_seconds()
    with db.write() as conn:
        conn.execute(sa.delete(seg).where(seg.c.key == key, seg.c.state != "done"))
        conn.execute(
            sa.insert(seg).values(
                month=month,
                first_id=first,
                last_id=last,
                first_at=min(dates) if dates else None,
                last_at=max(dates) if dates else None,
                event_count=len(run),
                key=key,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                state="done",
                created_at=now,
                updated_at=now,
            )
        )
    return key
