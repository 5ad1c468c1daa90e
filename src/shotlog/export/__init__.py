"""Exporting the event log to CSV and JSON Lines, from the local store or any api3 server.

    from shotlog.export import EventQuery, Export, StoreSource, export_events

    source = StoreSource(sg)                                 # or Api3Source(shotgun_api3.Shotgun(...))
    query = EventQuery(project_ids=(1,), event_types=("Shotgun_Shot_*",))
    n = export_events(source, query, ["id", "created_at", "event_type", "entity", "entity.Shot.code"],
                      "csv", "shots.csv")

    export = Export(source, query, None, "jsonl")            # checks columns and filters now
    for chunk in export.chunks(): ...                        # bytes, a page at a time (HTTP streaming)

See docs/export.md.
"""

from __future__ import annotations

from shotlog.export.columns import ALL_COLUMNS, DEFAULT_COLUMNS, Layout, parse_columns
from shotlog.export.exporter import Export, check_destination, export_events, format_for_path
from shotlog.export.formats import CsvFormat, JsonLinesFormat, get_format
from shotlog.export.query import EventQuery, ExportError, query_from_dict
from shotlog.export.sources import Api3Source, EventSource, StoreSource, record_to_row

__all__ = [
    "ALL_COLUMNS",
    "DEFAULT_COLUMNS",
    "Api3Source",
    "CsvFormat",
    "EventQuery",
    "EventSource",
    "Export",
    "ExportError",
    "JsonLinesFormat",
    "Layout",
    "StoreSource",
    "check_destination",
    "export_events",
    "format_for_path",
    "get_format",
    "parse_columns",
    "query_from_dict",
    "record_to_row",
]
