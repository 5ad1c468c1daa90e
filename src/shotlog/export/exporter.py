"""Running an export: check everything first, then stream encoded chunks to a file, a socket or a caller.

``Export`` is built from a source, a query, columns and a format, and checks all of them when it is
built: an unknown column, filter or format is an ``ExportError`` before a single event is read.
Then ``chunks()`` yields bytes a page at a time (what an HTTP route streams), ``write_to`` writes
them to an open binary file, and ``write_file`` writes to a path through a temporary name that is
renamed into place only once complete, so an interrupted export never leaves a file that looks
finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from shotlog.export.columns import Layout, parse_columns
from shotlog.export.formats import Format, get_format
from shotlog.export.query import EventQuery, ExportError
from shotlog.export.sources import EventSource

__all__ = ["Export", "check_destination", "export_events", "format_for_path"]

#: (id of the last event written, events written so far)
Progress = Callable[[int, int], None]


class Export:
    """A checked export, ready to stream. ``count`` grows as chunks are produced."""

    def __init__(
        self,
        source: EventSource,
        query: EventQuery,
        columns: Sequence[str] | str | None = None,
        fmt: str = "csv",
        *,
        bom: bool = True,
        neutralise: bool = True,
        limit: int | None = None,
    ) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ExportError(f"limit must be a positive integer, got {limit!r}", option="limit")
        self.source = source
        self.query = query
        source.check(query)
        self.layout: Layout = parse_columns(columns, source.field_type)
        #: CSV's guard against formulas (formats.neutralise); off for programs reading the file back
        self.neutralise = neutralise
        self.format: Format = get_format(fmt, self.layout, bom=bom, neutralise=neutralise)
        self.limit = limit
        self.count = 0
        self.last_id = 0

    @property
    def media_type(self) -> str:
        return self.format.media_type

    def filename(self, stem: str = "events") -> str:
        return stem + self.format.extension

    def chunks(self, progress: Progress | None = None) -> Iterator[bytes]:
        """The export as byte chunks: the header, then one chunk per page of events."""
        head = self.format.header()
        if head:
            yield head
        remaining = self.limit
        for rows in self.source.pages(self.query, self.layout):
            if remaining is not None:
                rows = rows[:remaining]
                remaining -= len(rows)
            if rows:
                self.count += len(rows)
                self.last_id = rows[-1][0]
                yield self.format.page(rows)
                if progress is not None:
                    progress(self.last_id, self.count)
            if remaining == 0:
                break
        tail = self.format.footer()
        if tail:
            yield tail

    def write_to(self, out: BinaryIO, progress: Progress | None = None) -> int:
        for chunk in self.chunks(progress):
            out.write(chunk)
        return self.count

    def write_file(self, path: str | Path, progress: Progress | None = None) -> int:
        """Write to ``path`` through ``.<name>.part-<pid>`` in the same directory, then rename."""
        target = Path(path)
        check_destination(target)
        temp = target.with_name(f".{target.name}.part-{os.getpid()}")
        try:
            with temp.open("wb") as fh:
                self.write_to(fh, progress)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self.count


def check_destination(path: Path) -> None:
    """Fail with a clear message, before any work, if ``path`` cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportError(f"{path} is a directory; give a file name", option="output")
    if not parent.is_dir():
        raise ExportError(f"cannot write {path}: directory {parent} does not exist", option="output")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {path}: directory {parent} is not writable", option="output")
    if path.exists() and not os.access(path, os.W_OK):
        raise ExportError(f"cannot write {path}: the file exists and is read-only", option="output")


def format_for_path(path: str | Path | None, default: str = "csv") -> str:
    """``csv`` or ``jsonl`` from a file name's extension (``.csv``, ``.jsonl``, ``.ndjson``, ``.json``)."""
    if path is None:
        return default
    suffix = Path(str(path)).suffix.lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(suffix, default)


def export_events(
    source: EventSource,
    query: EventQuery,
    columns: Sequence[str] | str | None,
    fmt: str,
    out: str | Path | BinaryIO,
    *,
    bom: bool = True,
    neutralise: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Export the events ``query`` selects from ``source`` to ``out`` (a path or a binary file).

    Returns how many events were written. Everything is checked before the first event is read.
    """
    export = Export(source, query, columns, fmt, bom=bom, neutralise=neutralise, limit=limit)
    if isinstance(out, str | Path):
        return export.write_file(out, progress)
    return export.write_to(out, progress)
