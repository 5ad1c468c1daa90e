"""Store bugs found by the protocol fuzzing, seen from the in-process API.

The api3 server refuses these inputs before they reach the store (``wire.check_payload`` and the
argument checks in ``api3/methods.py``), so no server test fails on them; called in process they
still crash with a non-shotlog exception (or, on PostgreSQL, a ``StorageError`` that blames the
server) instead of raising ``ValidationError`` or ``NotFound``. Each case
names the file where it was fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sgserver import Databases

import shotlog
from shotlog.errors import NotFound, ValidationError


@pytest.fixture(scope="module")
def store(databases: Databases) -> Iterator[shotlog.Shotlog]:
    conn = shotlog.connect(databases.new())
    yield conn
    conn.close()


def _deep_filter(depth: int) -> list[Any]:
    root: list[Any] = []
    current = root
    for _ in range(depth):
        group: dict[str, Any] = {"filter_operator": "all", "filters": []}
        current.append(group)
        current = group["filters"]
    return root


CASES: list[tuple[str, Callable[[shotlog.Shotlog], Any], str]] = [
    (
        "follow-huge-id",
        lambda sg: sg.follow({"type": "HumanUser", "id": 10**30}, {"type": "Shot", "id": 1}),
        "connection.py Shotlog._existing: ids wider than 64 bits reach SQLite/psycopg (OverflowError); "
        "expected NotFound or ValidationError",
    ),
    (
        "following-huge-id",
        lambda sg: sg.following({"type": "HumanUser", "id": 10**30}),
        "connection.py Shotlog._existing: OverflowError for a 100-bit user id; expected a ShotlogError",
    ),
    (
        "deeply-nested-filter",
        lambda sg: sg.find("Shot", _deep_filter(400)),
        "query/filters.py + query/compiler.py recurse once per group: 400 nested groups raise "
        "RecursionError; expected a FilterError naming the depth limit",
    ),
    (
        "surrogate-in-filter",
        lambda sg: sg.find("Shot", [["code", "is", "\ud800"]]),
        "query/compiler.py: text filter values are checked for NUL but not for unpaired surrogates; "
        "the driver raises UnicodeEncodeError; expected FilterError",
    ),
    (
        "non-string-return-field",
        lambda sg: sg.find("Shot", [], [1, {"a": 2}]),
        "store/reader.py find: non-string return fields raise TypeError (unhashable dict); "
        "expected ValidationError",
    ),
    (
        "page-offset-overflow",
        lambda sg: sg.find("Shot", [], page=2**62, limit=500),
        "connection.py find: (page - 1) * limit overflows the SQL OFFSET (OverflowError); expected an "
        "empty page or ValidationError",
    ),
]


@pytest.mark.parametrize(
    "call",
    [pytest.param(c[1], id=c[0]) for c in CASES],
)
def test_bad_input_raises_a_shotlog_error(
    store: shotlog.Shotlog, call: Callable[[shotlog.Shotlog], Any]
) -> None:
    # the caller's mistake: ValidationError (FilterError...) or NotFound, not StorageError (a server fault)
    with pytest.raises((ValidationError, NotFound)):
        call(store)


def test_create_return_fields_must_be_a_list(store: shotlog.Shotlog) -> None:
    with pytest.raises(ValidationError):
        store.create("Shot", {"code": "x"}, "code")
