"""POST /api/v1/entity/{entity}/_search: array and hash filters, fields, sort, page and options."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from restkit import API


@pytest.fixture
def shots(api: httpx.Client, proj: dict[str, Any]) -> dict[str, int]:
    """Five Shots of the test's Project: s1..s5, statuses wtg, ip, ip, fin, wtg; cut_in 10..50."""
    made = {}
    for i, status in enumerate(["wtg", "ip", "ip", "fin", "wtg"], start=1):
        body = {"code": f"s{i}", "sg_status_list": status, "sg_cut_in": 10 * i, "project": proj}
        reply = api.post(f"{API}/entity/shots", json=body)
        assert reply.status_code == 201, reply.text
        made[f"s{i}"] = reply.json()["data"]["id"]
    return made


def _search(
    api: httpx.Client, body: Any, content_type: str = "application/json", **params: str
) -> dict[str, Any]:
    reply = api.post(
        f"{API}/entity/shots/_search",
        content=json.dumps(body).encode(),
        headers={"content-type": content_type},
        params=params,
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/json"
    return dict(reply.json())


def _codes(result: dict[str, Any]) -> list[str]:
    return [r["attributes"]["code"] for r in result["data"]]


def _scoped(proj: dict[str, Any]) -> list[Any]:
    return ["project", "is", {"type": "Project", "id": proj["id"]}]


def test_array_filters(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    body = {"filters": [_scoped(proj), ["sg_status_list", "is", "ip"]], "fields": ["code"], "sort": "id"}
    result = _search(api, body, "application/vnd+shotgun.api3_array+json")
    assert result == {
        "data": [
            {
                "type": "Shot",
                "id": shots[code],
                "attributes": {"code": code},
                "relationships": {},
                "links": {"self": f"{API}/entity/shots/{shots[code]}"},
            }
            for code in ("s2", "s3")
        ],
        "links": {"self": f"{API}/entity/shots/_search?page%5Bnumber%5D=1&page%5Bsize%5D=20"},
    }


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([["sg_cut_in", "greater_than", 30]], ["s4", "s5"]),
        ([["sg_cut_in", "between", 20, 40]], ["s2", "s3", "s4"]),
        ([["sg_cut_in", "between", [20, 40]]], ["s2", "s3", "s4"]),
        ([["code", "in", ["s1", "s5"]]], ["s1", "s5"]),
        ([["code", "in", "s1", "s5"]], ["s1", "s5"]),
        ([["code", "not_in", ["s1", "s5"]]], ["s2", "s3", "s4"]),
        ([["code", "starts_with", "s"], ["code", "ends_with", "3"]], ["s3"]),
        ([["sg_status_list", "is_not", "wtg"], ["sg_cut_in", "less_than", 40]], ["s2", "s3"]),
        ([{"filter_operator": "any", "filters": [["code", "is", "s1"], ["code", "is", "s4"]]}], ["s1", "s4"]),
        ([["project.Project.name", "starts_with", "test_"]], ["s1", "s2", "s3", "s4", "s5"]),
    ],
)
def test_array_filter_relations(
    api: httpx.Client, proj: dict[str, Any], shots: dict[str, int], conditions: list[Any], expected: list[str]
) -> None:
    result = _search(api, {"filters": [_scoped(proj), *conditions], "fields": "code", "sort": "code"})
    assert _codes(result) == expected


def test_hash_filters(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    body = {
        "filters": {
            "logical_operator": "and",
            "conditions": [
                _scoped(proj),
                {
                    "logical_operator": "or",
                    "conditions": [
                        ["code", "is", "s1"],
                        {
                            "logical_operator": "and",
                            "conditions": [["sg_status_list", "is", "ip"], ["sg_cut_in", "greater_than", 20]],
                        },
                    ],
                },
            ],
        },
        "fields": "code,sg_status_list",
        "sort": "-code",
    }
    result = _search(api, body, "application/vnd+shotgun.api3_hash+json")
    assert [r["attributes"] for r in result["data"]] == [
        {"code": "s3", "sg_status_list": "ip"},
        {"code": "s1", "sg_status_list": "wtg"},
    ]


def test_hash_or_at_the_top(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    """``OR`` in any case; the project scope comes from the query's nested ``and``."""
    body = {
        "filters": {
            "logical_operator": "OR",
            "conditions": [
                {"logical_operator": "and", "conditions": [_scoped(proj), ["code", "is", "s2"]]},
                {"logical_operator": "and", "conditions": [_scoped(proj), ["code", "is", "s5"]]},
            ],
        },
        "fields": ["code"],
        "sort": ["code"],
    }
    assert _codes(_search(api, body)) == ["s2", "s5"]


def test_hash_defaults_to_and(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    body = {"filters": {"conditions": [_scoped(proj), ["sg_status_list", "is", "wtg"]]}, "fields": "code"}
    assert sorted(_codes(_search(api, body))) == ["s1", "s5"]


def test_fields_forms(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    scoped = {"filters": [_scoped(proj), ["code", "is", "s1"]]}
    as_list = _search(api, {**scoped, "fields": ["code", "sg_cut_in", "project"]})["data"][0]
    as_string = _search(api, {**scoped, "fields": "code,sg_cut_in,project"})["data"][0]
    assert as_list == as_string
    assert as_list["attributes"] == {"code": "s1", "sg_cut_in": 10}
    assert as_list["relationships"] == {
        "project": {
            "data": {"type": "Project", "id": proj["id"], "name": proj["name"]},
            "links": {"related": f"{API}/entity/projects/{proj['id']}"},
        }
    }
    star = _search(api, {**scoped, "fields": "*"})["data"][0]
    default = _search(api, scoped)["data"][0]
    assert star == default
    assert {"code", "sg_status_list", "created_at", "tag_list"} <= set(star["attributes"])
    assert {"project", "assets", "created_by"} <= set(star["relationships"])


def test_sort_forms(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    scoped = {"filters": [_scoped(proj)], "fields": "code"}
    assert _codes(_search(api, {**scoped, "sort": "-sg_cut_in"})) == ["s5", "s4", "s3", "s2", "s1"]
    assert _codes(_search(api, {**scoped, "sort": ["sg_status_list", "-code"]})) == [
        "s4",
        "s3",
        "s2",
        "s5",
        "s1",
    ]


def test_page(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    body = {"filters": [_scoped(proj)], "fields": "code", "sort": "code", "page": {"number": 2, "size": 2}}
    result = _search(api, body)
    assert _codes(result) == ["s3", "s4"]
    path = f"{API}/entity/shots/_search"
    assert result["links"] == {
        "self": f"{path}?page%5Bnumber%5D=2&page%5Bsize%5D=2",
        "next": f"{path}?page%5Bnumber%5D=3&page%5Bsize%5D=2",
        "prev": f"{path}?page%5Bnumber%5D=1&page%5Bsize%5D=2",
    }
    last = _search(api, {**body, "page": {"number": 3, "size": 2}})
    assert _codes(last) == ["s5"]
    assert set(last["links"]) == {"self", "prev"}
    # The page links carry the page in the query string: POSTing the same body there follows them.
    unpaged = {k: v for k, v in body.items() if k != "page"}
    followed = _search(api, unpaged, **{"page[number]": "3", "page[size]": "2"})
    assert followed == last


def test_options(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    assert api.delete(f"{API}/entity/shots/{shots['s2']}").status_code == 204
    body: dict[str, Any] = {"filters": [_scoped(proj)], "fields": "code", "sort": "code"}
    assert _codes(_search(api, body)) == ["s1", "s3", "s4", "s5"]
    assert _codes(_search(api, {**body, "options": {"return_only": "retired"}})) == ["s2"]
    assert _codes(_search(api, {**body, "options": {"return_only": "active"}})) == ["s1", "s3", "s4", "s5"]
    assert api.put(f"{API}/entity/projects/{proj['id']}", json={"archived": True}).status_code == 200
    assert _codes(_search(api, {**body, "options": {"include_archived_projects": False}})) == []
    assert _codes(_search(api, {**body, "options": {"include_archived_projects": "false"}})) == []
    assert len(_codes(_search(api, {**body, "options": {"include_archived_projects": True}}))) == 4
    # Unknown options are ignored (FPTR may grow more).
    assert len(_codes(_search(api, {**body, "options": {"something_new": 1}}))) == 4


def test_empty_body_is_the_unfiltered_list(api: httpx.Client, shots: dict[str, int]) -> None:
    reply = api.post(f"{API}/entity/shots/_search")
    assert reply.status_code == 200, reply.text
    listed = api.get(f"{API}/entity/shots").json()
    assert reply.json()["data"] == listed["data"]
    assert 5 <= len(listed["data"]) <= 20
    assert reply.json()["links"]["self"] == f"{API}/entity/shots/_search?page%5Bnumber%5D=1&page%5Bsize%5D=20"


def test_search_by_other_names(api: httpx.Client, proj: dict[str, Any], shots: dict[str, int]) -> None:
    for name in ("Shot", "shot"):
        reply = api.post(f"{API}/entity/{name}/_search", json={"filters": [_scoped(proj)], "fields": "code"})
        assert reply.status_code == 200
        assert len(reply.json()["data"]) == 5
