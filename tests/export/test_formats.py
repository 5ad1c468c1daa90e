"""The CSV encoder writes exactly what ``csv.writer`` writes, for every kind of cell value."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from shotlog.export.columns import BASE, Layout, parse_columns
from shotlog.export.formats import CsvFormat, cell


class _Text(str):
    """A str subclass: csv.writer writes it as the text it is, not through str()."""

    def __str__(self) -> str:
        return "not this"


TRICKY: list[Any] = [
    None,
    "",
    " ",
    "plain",
    "a,b",
    'say "hi"',
    '"',
    '""',
    ",",
    "line\nbreak",
    "carriage\rreturn",
    "\r\n",
    "tab\there",
    " leading and trailing ",
    "Élan Vital, ü",
    "日本語",
    "emoji 🎬",
    "nul\x00byte",
    '{"type":"attribute_change","old_value":"a,b","new_value":null}',
    0,
    -7,
    10**20,
    1.5,
    float("inf"),
    True,
    False,
    b"bytes",
    _Text("sub,class"),
    _Text(""),
]


def _layout(spec: str) -> Layout:
    return parse_columns(spec, lambda entity_type, field: "text")


def _reference(layout: Layout, rows: list[tuple[Any, ...]]) -> bytes:
    """What csv.writer writes for the cells the layout picks (deep fields through ``cell``)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        cells = []
        for column in layout.columns:
            for pos in column.csv_positions():
                cells.append(cell(row[pos]) if column.kind == "deep" else row[pos])
        writer.writerow(cells)
    return buf.getvalue().encode()


@pytest.mark.parametrize(
    "spec",
    [
        "default",
        "all",
        "id",
        "description",
        "meta,description",
        "id,entity.Shot.code,entity.name,user.HumanUser.login",
    ],
)
def test_csv_pages_are_what_csv_writer_writes(spec: str) -> None:
    layout = _layout(spec)
    fmt = CsvFormat(layout, bom=False)
    rng = random.Random(spec)
    width = BASE + len(layout.deep)
    for size in (1, 2, 7, 300):
        rows = [tuple(rng.choice(TRICKY) for _ in range(width)) for _ in range(size)]
        assert fmt.page(rows) == _reference(layout, rows)
    # Every value alone in a column, and columns with no value to quote at all.
    for value in TRICKY:
        rows = [(value,) * width, ("plain",) * width]
        assert fmt.page(rows) == _reference(layout, rows), value
    assert fmt.page([]) == b""


def test_deep_values_are_cells() -> None:
    layout = _layout("id,entity.Shot.sg_sequence,entity.Shot.tags")
    link = {"type": "Sequence", "id": 4, "name": 'SQ "4", final'}
    nameless = {"type": "Sequence", "id": 5, "name": None}
    row = (7, *([None] * (BASE - 1)), link, [link, nameless, True])
    assert CsvFormat(layout, bom=False).page([row]) == (
        b'7,"SQ ""4"", final","SQ ""4"", final; Sequence 5; true"\r\n'
    )
