"""The parsing and freeing of large request bodies (``server.large_json``) and which limits hold for
which request (``server.body_limits.rule_for``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shotlog.server.body_limits import BodyLimits, rule_for
from shotlog.server.large_json import dismantle, loads

LIMITS = BodyLimits(rest=100, form=10, timeout=5.0)


@pytest.mark.parametrize(
    "value",
    [
        {"filters": [["code", "in", [f"s{i}" for i in range(30_000)]]]},  # larger than one piece
        ["é" * 600_000, {"a": [None, True, 1.5, -2]}],  # a character across a piece's boundary
        [],
    ],
)
def test_loads_reads_what_json_loads_reads(value: Any) -> None:
    for body in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode()):
        assert loads(body) == json.loads(body)


def test_loads_refuses_what_json_loads_refuses() -> None:
    with pytest.raises(ValueError, match="Expecting"):
        loads(b'{"a": [1, 2')
    with pytest.raises(UnicodeDecodeError):
        loads(b'["\xff"]')

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    with pytest.raises(ValueError, match="NaN is not"):
        loads(b"[NaN]", parse_constant=refuse)


def test_dismantle_empties_every_container() -> None:
    inner = {"k": list(range(25_000))}
    value = [inner, [[1], {"x": [2]}]] + list(range(30_000))
    dismantle(value)
    assert value == [] and inner == {}


@pytest.mark.parametrize(
    ("method", "path", "limit", "stalls_only"),
    [
        ("POST", "/api3/json", None, False),  # api3 answers its own fault past its limit
        ("POST", "/upload/upload_file", None, True),  # uploads have their own limit
        ("PUT", "/files/upload/abc", None, True),
        ("POST", "/api/v1/auth/access_token", 65_536, False),
        ("POST", "/api/v1/entity/shots/_search", 100, False),
        ("PUT", "/api/v1/webhook/hooks/1", 100, False),
        ("POST", "/export/events.csv", 100, False),
        ("POST", "/webhooks/new", 10, False),
        ("POST", "/login", 10, False),
        ("GET", "/api3/json", 10, False),  # not the api3 endpoint: only its POST is
    ],
)
def test_each_request_has_its_rule(method: str, path: str, limit: int | None, stalls_only: bool) -> None:
    rule = rule_for(method, path, LIMITS)
    assert (rule.limit, rule.stalls_only) == (limit, stalls_only)
