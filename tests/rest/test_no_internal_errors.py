"""REST answers a client's mistake 400 with the JSON error envelope, never a 5xx with driver text.

Issue 22, item 9: filters following many links, or joining many linked entities, reached SQLite's
parser limits and PostgreSQL's alias length, and a long LIKE pattern SQLite's pattern limit; each
came back as a 503 quoting the driver. They are refused before any SQL now, naming the field. The
autouse fixture of the conftest fails any test during which the server answered a 5xx or logged a
traceback.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import httpx
import pytest
from restkit import API, errors_of

from shotlog.query.operands import MAX_JOINS, MAX_PATH_HOPS, MAX_PATTERN_LENGTH

#: driver text or SQL that must never be in a title
LEAK = re.compile(
    r"Database error|internal error|\bSELECT\b|\bWHERE\b|LINE \d|\$\d|psycopg|sqlite|parser stack|"
    r"specified more than once",
    re.IGNORECASE,
)


def deep(hops: int) -> str:
    """A Shot path following ``hops`` links through single-entity fields, ending at a login."""
    return ".".join([*(["created_by.HumanUser"] * hops), "login"])


def search(api: httpx.Client, body: Any) -> httpx.Response:
    return api.post(
        f"{API}/entity/shots/_search",
        content=json.dumps(body).encode(),
        headers={"content-type": "application/vnd+shotgun.api3_array+json"},
    )


def refused(reply: httpx.Response) -> dict[str, Any]:
    error = errors_of(reply, 400, 104)
    assert not LEAK.search(error["title"]), error
    return error


@pytest.mark.parametrize("hops", [MAX_PATH_HOPS + 1, 20, 40])
def test_a_filter_path_following_too_many_links_is_400(api: httpx.Client, hops: int) -> None:
    error = refused(search(api, {"filters": [[deep(hops), "is", "x"]]}))
    assert f"more than {MAX_PATH_HOPS} links" in error["title"]
    assert error["source"]["field"].startswith("created_by.HumanUser.created_by")


def test_many_deep_paths_through_multi_entity_fields_are_400(api: httpx.Client) -> None:
    steps = itertools.cycle(["tasks.Task", "entity.Shot"])
    paths = [".".join([*itertools.islice(steps, 2 * i), "code"]) for i in range(1, 20)]
    error = refused(search(api, {"filters": [[p, "is", "x"] for p in paths]}))
    assert f"more than {MAX_PATH_HOPS} links" in error["title"]


def test_a_path_at_the_limit_is_answered(api: httpx.Client) -> None:
    reply = search(api, {"filters": [[deep(MAX_PATH_HOPS), "is", "nobody"]]})
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"] == []


def test_too_many_distinct_links_is_400(api: httpx.Client) -> None:
    paths = [
        ".".join(["created_by.HumanUser", *(f"{step}.HumanUser" for step in steps), "login"])
        for steps in itertools.product(["created_by", "updated_by"], repeat=6)
    ]
    body = {"filters": {"logical_operator": "or", "conditions": [[p, "is", "nobody"] for p in paths]}}
    error = refused(search(api, body))
    assert f"at most {MAX_JOINS} distinct links" in error["title"]


def test_a_sort_following_too_many_links_is_400(api: httpx.Client) -> None:
    reply = api.get(f"{API}/entity/shots", params={"sort": deep(MAX_PATH_HOPS + 1)})
    assert reply.status_code == 400, reply.text
    assert not LEAK.search(reply.text), reply.text


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (["code", "is", "a\x00b"], "code"),
        (["code", "contains", "a\x00b"], "code"),
        (["sg_cut_duration", "greater_than", 10**30], "sg_cut_duration"),
        (["id", "in", [2**64]], "id"),
        (["project", "is", {"type": "Project", "id": 2**63}], "project"),
    ],
    ids=["nul-is", "nul-contains", "huge-number", "huge-id", "huge-link"],
)
def test_values_the_database_cannot_take_are_400(api: httpx.Client, condition: list[Any], field: str) -> None:
    error = refused(search(api, {"filters": [condition]}))
    assert error["source"] == {"field": field}, error


@pytest.mark.parametrize("relation", ["contains", "starts_with", "ends_with"])
@pytest.mark.parametrize(
    "pattern", ["%_" * (MAX_PATTERN_LENGTH // 2), "%" * MAX_PATTERN_LENGTH, "\U0001f600" * MAX_PATTERN_LENGTH]
)
def test_like_patterns_up_to_the_limit_are_answered(
    api: httpx.Client, proj: dict[str, Any], relation: str, pattern: str
) -> None:
    """A pattern of wildcards matches as text (a row must exist for SQLite to evaluate it)."""
    made = api.post(f"{API}/entity/shots", json={"code": "like", "project": proj})
    assert made.status_code == 201, made.text
    reply = search(api, {"filters": [["project", "is", proj], ["code", relation, pattern]]})
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"] == []


@pytest.mark.parametrize(
    "condition", [["code", "contains", "%_" * 20000], ["code", "starts_with", "%" * 60000]]
)
def test_a_like_pattern_over_the_limit_is_400(
    api: httpx.Client, proj: dict[str, Any], condition: list[Any]
) -> None:
    made = api.post(f"{API}/entity/shots", json={"code": "like", "project": proj})
    assert made.status_code == 201, made.text
    error = refused(search(api, {"filters": [["project", "is", proj], condition]}))
    assert f"at most {MAX_PATTERN_LENGTH} are allowed" in error["title"]
    assert error["source"] == {"field": "code"}, error
