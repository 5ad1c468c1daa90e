"""Encoding pages of event rows as CSV or JSON Lines: pure functions from tuples to bytes.

CSV follows what spreadsheet users expect: UTF-8 with a byte-order mark (so Excel reads accented
names correctly; ``bom=False`` leaves it out), one header row, RFC 4180 quoting and ``\\r\\n`` line
ends, ISO 8601 UTC dates (``2024-03-01T10:00:00Z``), links as their display name with the type and
id in columns of their own, ``meta`` as compact JSON text, empty cells for nulls.

JSON Lines is one JSON object per event, keys in column order, links as ``{"type", "id", "name"}``
and ``meta`` as the JSON object itself (the local store's text is spliced in, never re-encoded).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import orjson

from shotlog.export.columns import Column, Layout
from shotlog.export.query import ExportError

__all__ = ["FORMATS", "CsvFormat", "Format", "JsonLinesFormat", "cell", "get_format"]

Row = Sequence[Any]


class Format:
    """How pages of rows become bytes. ``header`` once, ``page`` per page, ``footer`` once."""

    name = ""
    media_type = ""
    extension = ""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def header(self) -> bytes:
        return b""

    def page(self, rows: Sequence[Row]) -> bytes:
        raise NotImplementedError

    def footer(self) -> bytes:
        return b""


def cell(value: Any) -> Any:
    """A deep field's value as a CSV cell: links by name, lists joined, datetimes already ISO text."""
    if isinstance(value, dict):
        return (
            value.get("name") if value.get("name") is not None else f"{value.get('type')} {value.get('id')}"
        )
    if isinstance(value, list):
        return "; ".join(str(cell(v)) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class CsvFormat(Format):
    name = "csv"
    media_type = "text/csv; charset=utf-8"
    extension = ".csv"

    def __init__(self, layout: Layout, *, bom: bool = True) -> None:
        super().__init__(layout)
        self.bom = bom
        positions: list[int] = []
        self._converted: list[int] = []  # output cells that need cell() (deep fields)
        for column in layout.columns:
            for pos in column.csv_positions():
                if column.kind == "deep":
                    self._converted.append(len(positions))
                positions.append(pos)
        if len(positions) > 1:
            self._pick: Callable[[Row], Any] = itemgetter(*positions)
        else:
            only = positions[0]
            self._pick = lambda row: (row[only],)

    def header(self) -> bytes:
        buf = io.StringIO()
        csv.writer(buf).writerow([h for c in self.layout.columns for h in c.csv_headers()])
        text = buf.getvalue()
        return ("\ufeff" + text if self.bom else text).encode()

    def page(self, rows: Sequence[Row]) -> bytes:
        """The rows as ``csv.writer`` writes them (excel dialect), a column at a time.

        Formatting is what limits an export, and ``csv.writer`` examines every character of
        every cell in C but one call at a time (about 5.7 us a row of the default columns). Here
        each column of the page is converted and checked for the characters that need quoting
        with whole-column string operations, and only the cells of a column that has any are
        quoted one by one (about 3.3 us a row). ``tests/export/test_formats.py`` compares both
        on every kind of value.
        """
        if not rows:
            return b""
        columns = list(zip(*map(self._pick, rows), strict=True))
        for i in self._converted:
            columns[i] = tuple(map(cell, columns[i]))
        cells = [_csv_column(values) for values in columns]
        if len(cells) == 1:
            # A record of one empty field is written as "" (an empty line would read as no record).
            cells[0] = [v or '""' for v in cells[0]]
        return ("\r\n".join(map(",".join, zip(*cells, strict=True))) + "\r\n").encode()


def _csv_column(values: Sequence[Any]) -> Sequence[str]:
    """One column of cells as ``csv.writer`` writes them: None empty, other non-text as ``str()``,
    and a cell holding a comma, a quote, CR or LF quoted, with its quotes doubled."""
    try:
        text = "".join(values)  # all text (the common case): nothing to convert
        cells: Sequence[str] = values
    except TypeError:
        cells = [v if isinstance(v, str) else ("" if v is None else str(v)) for v in values]
        text = "".join(cells)
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        cells = [
            ('"' + v.replace('"', '""') + '"') if ('"' in v or "," in v or "\n" in v or "\r" in v) else v
            for v in cells
        ]
    return cells


def _link(column: Column) -> Callable[[Row], Any]:
    type_pos, id_pos, name_pos = column.positions
    assert id_pos is not None
    fixed = column.fixed_type

    def value(row: Row) -> Any:
        ident = row[id_pos]
        if ident is None:
            return None
        return {
            "type": fixed if type_pos is None else row[type_pos],
            "id": ident,
            "name": None if name_pos is None else row[name_pos],
        }

    return value


def _meta(pos: int) -> Callable[[Row], Any]:
    def value(row: Row) -> Any:
        text = row[pos]
        return None if text is None else orjson.Fragment(text)

    return value


def _plain(pos: int) -> Callable[[Row], Any]:
    return lambda row: row[pos]


class JsonLinesFormat(Format):
    name = "jsonl"
    media_type = "application/x-ndjson"
    extension = ".jsonl"

    def __init__(self, layout: Layout) -> None:
        super().__init__(layout)
        from shotlog.export.columns import META

        self._fields: list[tuple[str, Callable[[Row], Any]]] = []
        for column in layout.columns:
            pos = column.positions[0]
            if column.kind == "link":
                self._fields.append((column.name, _link(column)))
            elif pos == META:
                self._fields.append((column.name, _meta(META)))
            else:
                assert pos is not None
                self._fields.append((column.name, _plain(pos)))

    def page(self, rows: Sequence[Row]) -> bytes:
        fields = self._fields
        dumps = orjson.dumps
        return b"".join([dumps({k: f(row) for k, f in fields}) + b"\n" for row in rows])


FORMATS: dict[str, type[Format]] = {"csv": CsvFormat, "jsonl": JsonLinesFormat}


def get_format(name: str, layout: Layout, *, bom: bool = True) -> Format:
    """The formatter called ``name`` (``csv`` or ``jsonl``; ``json``/``ndjson`` are aliases)."""
    key = {"json": "jsonl", "ndjson": "jsonl"}.get(name, name)
    if key == "csv":
        return CsvFormat(layout, bom=bom)
    if key == "jsonl":
        return JsonLinesFormat(layout)
    raise ExportError(f"unknown format {name!r}: use csv or jsonl", option="format")
