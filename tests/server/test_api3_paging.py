"""Paging across more than 1,000 records: the client's has_next_page loop, limit, page and find_one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server

COUNT = 1111
CHUNK = 400


@pytest.fixture(scope="module")
def many(server: Server) -> Iterator[dict[str, Any]]:
    """COUNT Tags (the cheapest type to create) named <prefix>-00000..., created with batch in chunks."""
    sg = server.client()
    prefix = f"paging-{uuid.uuid4().hex[:8]}"
    ids: list[int] = []
    for start in range(0, COUNT, CHUNK):
        requests = [
            {"request_type": "create", "entity_type": "Tag", "data": {"name": f"{prefix}-{i:05d}"}}
            for i in range(start, min(start + CHUNK, COUNT))
        ]
        results = sg.batch(requests)
        assert [r["name"] for r in results] == [r["data"]["name"] for r in requests]
        ids += [r["id"] for r in results]
    sg.close()
    yield {"prefix": prefix, "scope": [["name", "starts_with", prefix]], "ids": ids}


def test_find_all_pages_in_order(sg: shotgun_api3.Shotgun, many: dict[str, Any]) -> None:
    rows = sg.find("Tag", many["scope"], ["name"], limit=0)
    assert len(rows) == COUNT
    assert [r["id"] for r in rows] == many["ids"]
    assert [r["name"] for r in rows] == [f"{many['prefix']}-{i:05d}" for i in range(COUNT)]
    assert many["ids"] == sorted(many["ids"])


def test_find_all_in_descending_order(sg: shotgun_api3.Shotgun, many: dict[str, Any]) -> None:
    rows = sg.find(
        "Tag",
        many["scope"],
        ["name"],
        order=[{"field_name": "name", "direction": "desc"}],
    )
    assert [r["name"] for r in rows] == [f"{many['prefix']}-{i:05d}" for i in reversed(range(COUNT))]


def test_limit_larger_than_a_page(sg: shotgun_api3.Shotgun, many: dict[str, Any]) -> None:
    rows = sg.find("Tag", many["scope"], ["name"], limit=1001)
    assert [r["id"] for r in rows] == many["ids"][:1001]


def test_limit_and_page(sg: shotgun_api3.Shotgun, many: dict[str, Any]) -> None:
    scope = many["scope"]
    assert [r["id"] for r in sg.find("Tag", scope, limit=10, page=3)] == many["ids"][20:30]
    assert [r["id"] for r in sg.find("Tag", scope, limit=7)] == many["ids"][:7]
    # page without a limit: pages of the server's 500
    assert [r["id"] for r in sg.find("Tag", scope, page=3)] == many["ids"][1000:1500]
    assert sg.find("Tag", scope, page=4) == []
    assert [r["id"] for r in sg.find("Tag", scope, limit=100, page=11)] == many["ids"][1000:1100]
    assert [r["id"] for r in sg.find("Tag", scope, limit=100, page=12)] == many["ids"][1100:]
    assert sg.find("Tag", scope, limit=100, page=13) == []


def test_find_one(sg: shotgun_api3.Shotgun, many: dict[str, Any]) -> None:
    scope = many["scope"]
    assert sg.find_one("Tag", scope, ["name"]) == {
        "type": "Tag",
        "id": many["ids"][0],
        "name": f"{many['prefix']}-00000",
    }
    last = sg.find_one("Tag", scope, ["name"], order=[{"field_name": "id", "direction": "desc"}])
    assert last == {"type": "Tag", "id": many["ids"][-1], "name": f"{many['prefix']}-{COUNT - 1:05d}"}
    assert sg.find_one("Tag", [*scope, ["name", "is", "nope"]]) is None


def test_raw_paging_info(server: Server, many: dict[str, Any]) -> None:
    def read(page: int, per_page: int = 500, **extra: Any) -> dict[str, Any]:
        body = server.call(
            "read",
            {
                "type": "Tag",
                "return_fields": ["name"],
                "filters": {
                    "logical_operator": "and",
                    "conditions": [{"path": "name", "relation": "starts_with", "values": [many["prefix"]]}],
                },
                "return_only": "active",
                "paging": {"entities_per_page": per_page, "current_page": page},
                **extra,
            },
        )
        return body["results"]

    assert read(1)["paging_info"]["has_next_page"] is True
    assert read(2)["paging_info"]["has_next_page"] is True
    third = read(3)
    assert third["paging_info"]["has_next_page"] is False
    assert [e["id"] for e in third["entities"]] == many["ids"][1000:]
    assert read(9)["entities"] == []
    # exactly one full last page: no next page
    assert COUNT == 11 * 101
    assert read(11, per_page=101)["paging_info"]["has_next_page"] is False
    assert read(10, per_page=101)["paging_info"]["has_next_page"] is True
    counted = read(1, return_paging_info=True)
    assert counted["paging_info"]["entity_count"] == COUNT
    assert read(10**15, return_paging_info=True)["paging_info"] == {
        "has_next_page": False,
        "current_page": 10**15,
        "page_count": None,
        "entity_count": COUNT,
    }


def test_retired_rows_leave_the_pages(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    made = sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": f"r{i}", "project": project}}
            for i in range(6)
        ]
    )
    sg.batch([{"request_type": "delete", "entity_type": "Shot", "entity_id": m["id"]} for m in made[::2]])
    scope = [["project", "is", project]]
    assert [r["code"] for r in sg.find("Shot", scope, ["code"], limit=2, page=1)] == ["r1", "r3"]
    assert [r["code"] for r in sg.find("Shot", scope, ["code"], limit=2, page=2)] == ["r5"]
    assert [r["code"] for r in sg.find("Shot", scope, ["code"], retired_only=True)] == ["r0", "r2", "r4"]


def test_id_ordered_pages_continue_after_the_last_id(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    """Page N+1 of an id-ordered read starts after page N's last id, even when a row of page N is
    retired in between (OFFSET paging would silently skip the first row of page N+1)."""
    made = sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": f"k{i}", "project": project}}
            for i in range(9)
        ]
    )
    ids = [m["id"] for m in made]

    def read(page: int, direction: str = "asc") -> list[int]:
        body = server.call(
            "read",
            {
                "type": "Shot",
                "return_fields": ["code"],
                "filters": {
                    "logical_operator": "and",
                    "conditions": [{"path": "project", "relation": "is", "values": [project]}],
                },
                "sorts": [{"field_name": "id", "direction": direction}],
                "return_only": "active",
                "paging": {"entities_per_page": 3, "current_page": page},
            },
        )
        return [e["id"] for e in body["results"]["entities"]]

    assert read(1) == ids[0:3]
    sg.delete("Shot", ids[1])  # a row of the page already served
    assert read(2) == ids[3:6]
    assert read(3) == ids[6:9]

    # descending, and a page asked for without its predecessor (no cursor: plain OFFSET)
    remaining = [i for i in ids if i != ids[1]][::-1]
    assert read(2, "desc") == remaining[3:6]
    assert read(1, "desc") == remaining[0:3]
    assert read(2, "desc") == remaining[3:6]
    assert read(3, "desc") == remaining[6:]


def test_id_order_helper() -> None:
    from shotlog.server.api3.pagecursor import after, id_order

    assert id_order(None) == "asc"
    assert id_order([{"field_name": "id", "direction": "desc"}]) == "desc"
    assert id_order([{"column": "id"}]) == "asc"
    assert id_order([{"field_name": "code", "direction": "asc"}]) is None
    assert id_order([{"field_name": "id"}, {"field_name": "code"}]) is None
    narrowed = after({"logical_operator": "or", "conditions": [{"path": "a"}]}, "desc", 5)
    assert narrowed["logical_operator"] == "and"
    assert narrowed["conditions"][1] == {"path": "id", "relation": "less_than", "values": [5]}
