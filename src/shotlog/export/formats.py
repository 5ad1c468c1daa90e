"""Encoding pages of event rows as CSV or JSON Lines: pure functions from tuples to bytes.

CSV follows what spreadsheet users expect: UTF-8 with a byte-order mark (so Excel reads accented
names correctly; ``bom=False`` leaves it out), one header row, RFC 4180 quoting and ``\\r\\n`` line
ends, ISO 8601 UTC dates (``2024-03-01T10:00:00Z``), links as their display name with the type and
id in columns of their own, ``meta`` as compact JSON text, empty cells for nulls. A text cell that
a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is written with a single quote in front, OWASP's rule against CSV injection: a description
such as ``=HYPERLINK(...)`` stays text when a producer opens the file. Numbers are left alone (a
negative number is no formula), and ``neutralise=False`` writes every cell as it is, for programs
that read the file back.

JSON Lines is one JSON object per event, keys in column order, links as ``{"type", "id", "name"}``
and ``meta`` as the JSON object itself (the local store's text is spliced in, never re-encoded).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import orjson

from shotlog.export.columns import (
    CREATED_AT,
    ENTITY_ID,
    ID,
    IMAGE_SOURCE_ID,
    META,
    PROJECT_ID,
    USER_ID,
    Column,
    Layout,
)
from shotlog.export.query import ExportError

__all__ = [
    "FORMATS",
    "FORMULA_STARTS",
    "INERT_POSITIONS",
    "CsvFormat",
    "Format",
    "JsonLinesFormat",
    "cell",
    "get_format",
    "neutralise",
]

Row = Sequence[Any]

#: first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection")
FORMULA_STARTS = frozenset("=+-@\t\r")
# A column's cells joined with NUL, which stored text never holds: a formula start right after a
# separator (or at the very start) is a cell that needs the quote. One regular-expression pass over
# the joined column, in C, costs a fraction of a microsecond a row; a check per cell would cost more.
_SEP = "\x00"
_FORMULA_AFTER_SEP = re.compile("\x00[-=+@\t\r]")
#: row positions no cell of which can start like a formula: ids are integers, ``created_at`` is ISO
#: text, and ``meta`` is JSON text, which starts with a formula character only as a negative number
#: (a number to a spreadsheet, never a formula). Skipping them keeps the guard's cost to about 3%.
INERT_POSITIONS = frozenset({ID, ENTITY_ID, PROJECT_ID, USER_ID, IMAGE_SOURCE_ID, CREATED_AT, META})


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it as text: a single quote before a formula's first character."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


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

    def __init__(self, layout: Layout, *, bom: bool = True, neutralise: bool = True) -> None:
        super().__init__(layout)
        self.bom = bom
        self.neutralise = neutralise
        positions: list[int] = []
        self._converted: list[int] = []  # output cells that need cell() (deep fields)
        self._guarded: list[bool] = []  # output cells checked for formulas
        for column in layout.columns:
            for pos in column.csv_positions():
                if column.kind == "deep":
                    self._converted.append(len(positions))
                self._guarded.append(neutralise and (column.kind == "deep" or pos not in INERT_POSITIONS))
                positions.append(pos)
        if len(positions) > 1:
            self._pick: Callable[[Row], Any] = itemgetter(*positions)
        else:
            only = positions[0]
            self._pick = lambda row: (row[only],)

    def header(self) -> bytes:
        buf = io.StringIO()
        headers = [h for c in self.layout.columns for h in c.csv_headers()]
        csv.writer(buf).writerow([neutralise(h) for h in headers] if self.neutralise else headers)
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
        cells = [_csv_column(values, guard) for values, guard in zip(columns, self._guarded, strict=True)]
        if len(cells) == 1:
            # A record of one empty field is written as "" (an empty line would read as no record).
            cells[0] = [v or '""' for v in cells[0]]
        return ("\r\n".join(map(",".join, zip(*cells, strict=True))) + "\r\n").encode()


def _csv_column(values: Sequence[Any], guard: bool = True) -> Sequence[str]:
    """One column of cells as ``csv.writer`` writes them: None empty, other non-text as ``str()``,
    and a cell holding a comma, a quote, CR or LF quoted, with its quotes doubled. With ``guard``,
    text cells that start like a formula get a single quote in front (numbers never do).

    Whether any cell needs the quote is decided on the column joined with NUL in one pass; only a
    column where it matches is checked cell by cell (a NUL inside a cell can only cause that
    check, never a wrong cell)."""
    try:
        text = _SEP.join(values)  # all text (the common case): nothing to convert
        cells: Sequence[str] = values
        numbers = False
    except TypeError:
        cells = [v if isinstance(v, str) else ("" if v is None else str(v)) for v in values]
        text = _SEP.join(cells)
        numbers = True
    if guard and (text[:1] in FORMULA_STARTS or _FORMULA_AFTER_SEP.search(text) is not None):
        if numbers:
            cells = [
                "'" + c if c[:1] in FORMULA_STARTS and isinstance(v, str) else c
                for v, c in zip(values, cells, strict=True)
            ]
        else:
            cells = ["'" + c if c[:1] in FORMULA_STARTS else c for c in cells]
        # the quote added is no character that needs quoting: ``text`` still answers below
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


def get_format(name: str, layout: Layout, *, bom: bool = True, neutralise: bool = True) -> Format:
    """The formatter called ``name`` (``csv`` or ``jsonl``; ``json``/``ndjson`` are aliases).
    ``neutralise`` is CSV's guard against formulas (JSON Lines has no cells to guard)."""
    key = {"json": "jsonl", "ndjson": "jsonl"}.get(name, name)
    if key == "csv":
        return CsvFormat(layout, bom=bom, neutralise=neutralise)
    if key == "jsonl":
        return JsonLinesFormat(layout)
    raise ExportError(f"unknown format {name!r}: use csv or jsonl", option="format")
