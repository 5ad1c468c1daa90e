"""Entity CRUD, revive, listing (paging, fields, sort, simple filters) and URL names over /api/v1."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from restkit import API, SCRIPT_NAME, errors_of


def _link(record: dict[str, Any]) -> dict[str, Any]:
    return {"type": record["type"], "id": record["id"]}


def _create(api: httpx.Client, url_name: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
    reply = api.post(f"{API}/entity/{url_name}", json=body, params=params)
    assert reply.status_code == 201, reply.text
    return dict(reply.json()["data"])


def _ids(reply: httpx.Response) -> list[int]:
    assert reply.status_code == 200, reply.text
    return [r["id"] for r in reply.json()["data"]]


def _shots(api: httpx.Client, proj: dict[str, Any], codes: list[str]) -> list[dict[str, Any]]:
    return [_create(api, "shots", {"code": c, "project": proj}) for c in codes]


def _in(proj: dict[str, Any]) -> dict[str, str]:
    return {"filter[project.Project.id]": str(proj["id"])}


# -- create, read, update, delete, revive ---------------------------------------------------------


def test_create_answers_201_with_the_record(
    api: httpx.Client, proj: dict[str, Any], ids: dict[str, int]
) -> None:
    reply = api.post(f"{API}/entity/shots", json={"code": "sh010", "description": "first", "project": proj})
    assert reply.status_code == 201, reply.text
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    shot_id = body["data"]["id"]
    assert isinstance(shot_id, int) and shot_id > 0
    assert body == {
        "data": {
            "type": "Shot",
            "id": shot_id,
            "attributes": {"code": "sh010", "description": "first"},
            "relationships": {
                "project": {
                    "data": {"type": "Project", "id": proj["id"], "name": proj["name"]},
                    "links": {"related": f"{API}/entity/projects/{proj['id']}"},
                }
            },
            "links": {"self": f"{API}/entity/shots/{shot_id}"},
        },
        "links": {"self": f"{API}/entity/shots/{shot_id}"},
    }


def test_create_with_options_fields(api: httpx.Client, proj: dict[str, Any], ids: dict[str, int]) -> None:
    data = _create(
        api, "shots", {"code": "sh020", "project": proj}, **{"options[fields]": "sg_status_list,created_by"}
    )
    assert data["attributes"] == {"code": "sh020", "sg_status_list": "wtg"}
    assert data["relationships"]["created_by"]["data"] == {
        "type": "ApiUser",
        "id": ids["script"],
        "name": SCRIPT_NAME,
    }


def test_read_one_with_fields(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _create(api, "shots", {"code": "sh030", "sg_cut_in": 1001, "project": proj})
    reply = api.get(
        f"{API}/entity/shots/{shot['id']}", params={"fields": "code,sg_cut_in,project.Project.name"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "data": {
            "type": "Shot",
            "id": shot["id"],
            "attributes": {"code": "sh030", "sg_cut_in": 1001, "project.Project.name": proj["name"]},
            "relationships": {},
            "links": {"self": f"{API}/entity/shots/{shot['id']}"},
        },
        "links": {"self": f"{API}/entity/shots/{shot['id']}"},
    }


@pytest.mark.parametrize("fields", [None, "*", ""])
def test_every_field_by_default_and_with_star(
    api: httpx.Client, proj: dict[str, Any], fields: str | None
) -> None:
    shot = _create(api, "shots", {"code": "sh040", "project": proj})
    schema = api.get(f"{API}/schema/shots/fields").json()["data"]
    params = {} if fields is None else {"fields": fields}
    data = api.get(f"{API}/entity/shots/{shot['id']}", params=params).json()["data"]
    links = {n for n, f in schema.items() if f["data_type"]["value"] in ("entity", "multi_entity")}
    assert set(data["relationships"]) == links
    assert set(data["attributes"]) == set(schema) - links - {"id"}
    assert data["attributes"]["code"] == "sh040"
    assert data["attributes"]["sg_status_list"] == "wtg"
    assert data["attributes"]["tag_list"] == []
    assert data["relationships"]["assets"] == {"data": []}
    assert data["relationships"]["sg_sequence"] == {"data": None}
    listed = api.get(f"{API}/entity/shots", params={**params, **_in(proj)}).json()["data"]
    assert listed == [data]


def test_star_with_deep_fields(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _create(api, "shots", {"code": "sh045", "project": proj})
    data = api.get(f"{API}/entity/shots/{shot['id']}", params={"fields": "*,project.Project.name"}).json()[
        "data"
    ]
    assert data["attributes"]["code"] == "sh045"
    assert data["attributes"]["project.Project.name"] == proj["name"]


def test_passwords_are_never_returned(api: httpx.Client) -> None:
    reply = api.get(f"{API}/entity/human_users", params={"fields": "*"})
    assert reply.status_code == 200
    assert all("password_proxy" not in r["attributes"] for r in reply.json()["data"])
    asked = api.get(f"{API}/entity/human_users", params={"fields": "login,password_proxy"}).json()["data"]
    assert asked and all(r["attributes"]["password_proxy"] is None for r in asked)


def test_update_answers_the_updated_fields(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _create(api, "shots", {"code": "sh050", "project": proj})
    reply = api.put(
        f"{API}/entity/shots/{shot['id']}", json={"description": "changed", "sg_status_list": "ip"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "data": {
            "type": "Shot",
            "id": shot["id"],
            "attributes": {"description": "changed", "sg_status_list": "ip"},
            "relationships": {},
            "links": {"self": f"{API}/entity/shots/{shot['id']}"},
        },
        "links": {"self": f"{API}/entity/shots/{shot['id']}"},
    }
    got = api.get(f"{API}/entity/shots/{shot['id']}", params={"fields": "description,sg_status_list"})
    assert got.json()["data"]["attributes"] == {"description": "changed", "sg_status_list": "ip"}


def test_links_and_multi_entity_update_modes(api: httpx.Client, proj: dict[str, Any]) -> None:
    a1 = _create(api, "assets", {"code": "a1", "project": proj})
    a2 = _create(api, "assets", {"code": "a2", "project": proj})
    shot = _create(api, "shots", {"code": "sh060", "project": proj, "assets": [_link(a1)]})
    assert shot["relationships"]["assets"] == {"data": [{"type": "Asset", "id": a1["id"], "name": "a1"}]}
    added = api.put(
        f"{API}/entity/shots/{shot['id']}",
        json={"assets": [_link(a2)]},
        params={"options[multi_entity_update_modes][assets]": "add"},
    )
    assert added.status_code == 200, added.text
    assert added.json()["data"]["relationships"]["assets"]["data"] == [
        {"type": "Asset", "id": a1["id"], "name": "a1"},
        {"type": "Asset", "id": a2["id"], "name": "a2"},
    ]
    removed = api.put(
        f"{API}/entity/shots/{shot['id']}",
        json={"assets": [_link(a1)]},
        params={"options[multi_entity_update_modes][assets]": "remove"},
    )
    assert removed.json()["data"]["relationships"]["assets"]["data"] == [
        {"type": "Asset", "id": a2["id"], "name": "a2"}
    ]
    published = _create(api, "published_files", {"code": "p.exr", "entity": _link(shot), "project": proj})
    assert published["relationships"]["entity"] == {
        "data": {"type": "Shot", "id": shot["id"], "name": "sh060"},
        "links": {"related": f"{API}/entity/shots/{shot['id']}"},
    }


def test_delete_then_revive(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _create(api, "shots", {"code": "sh070", "project": proj})
    url = f"{API}/entity/shots/{shot['id']}"
    deleted = api.delete(url)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert errors_of(api.get(url), 404)["title"] == f"No Shot with id {shot['id']}"
    assert _ids(api.get(f"{API}/entity/shots", params=_in(proj))) == []
    retired = {"options[return_only]": "retired"}
    assert api.get(url, params={**retired, "fields": "code"}).json()["data"]["attributes"] == {
        "code": "sh070"
    }
    assert _ids(api.get(f"{API}/entity/shots", params={**_in(proj), **retired})) == [shot["id"]]
    again = errors_of(api.delete(url), 400)
    assert again["title"] == f"Shot {shot['id']} is already retired"

    revived = api.post(url, params={"revive": "true"})
    assert revived.status_code == 200, revived.text
    assert revived.json() == {"data": {"type": "Shot", "id": shot["id"]}, "meta": {"revived": True}}
    assert api.get(url, params={"fields": "code"}).json()["data"]["attributes"] == {"code": "sh070"}
    twice = api.post(url, params={"revive": "True"})
    assert twice.json() == {"data": {"type": "Shot", "id": shot["id"]}, "meta": {"revived": False}}


def test_revive_needs_revive_true(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _create(api, "shots", {"code": "sh080", "project": proj})
    for params in ({}, {"revive": "false"}, {"revive": "1"}):
        error = errors_of(api.post(f"{API}/entity/shots/{shot['id']}", params=params), 400)
        assert error["title"] == "POST to an entity id revives it and needs ?revive=true"
        assert error["source"] == {"parameter": "revive"}


def test_head_reads_without_a_body(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _create(api, "shots", {"code": "sh090", "project": proj})
    reply = api.head(f"{API}/entity/shots/{shot['id']}")
    assert reply.status_code == 200
    assert reply.content == b""


# -- URL names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shots", "Shot", "shot", "SHOTS"])
def test_shot_url_names(api: httpx.Client, proj: dict[str, Any], name: str) -> None:
    shot = _create(api, name, {"code": f"via-{name}", "project": proj})
    assert shot["type"] == "Shot"
    assert shot["links"]["self"] == f"{API}/entity/shots/{shot['id']}"
    one = api.get(f"{API}/entity/{name}/{shot['id']}", params={"fields": "code"})
    assert one.json()["data"]["attributes"] == {"code": f"via-{name}"}


@pytest.mark.parametrize(
    ("name", "entity_type", "plural"),
    [
        ("published_files", "PublishedFile", "published_files"),
        ("PublishedFile", "PublishedFile", "published_files"),
        ("published_file", "PublishedFile", "published_files"),
        ("event_log_entries", "EventLogEntry", "event_log_entries"),
        ("EventLogEntry", "EventLogEntry", "event_log_entries"),
        ("human_users", "HumanUser", "human_users"),
        ("api_users", "ApiUser", "api_users"),
        ("statuses", "Status", "statuses"),
        ("replies", "Reply", "replies"),
    ],
)
def test_url_names_in_lists(api: httpx.Client, name: str, entity_type: str, plural: str) -> None:
    reply = api.get(f"{API}/entity/{name}", params={"page[size]": "1", "sort": "id"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["links"]["self"] == f"{API}/entity/{name}?sort=id&page%5Bnumber%5D=1&page%5Bsize%5D=1"
    for record in body["data"]:
        assert record["type"] == entity_type
        assert record["links"]["self"] == f"{API}/entity/{plural}/{record['id']}"


# -- lists: paging, sort, fields, simple filters --------------------------------------------------


def _follow(api: httpx.Client, link: str) -> httpx.Response:
    parts = urlsplit(link)
    return api.get(parts.path, params=httpx.QueryParams(parts.query))


def test_paging_links_across_more_than_40_records(api: httpx.Client, proj: dict[str, Any]) -> None:
    made = [s["id"] for s in _shots(api, proj, [f"p{i:02d}" for i in range(45)])]
    first = api.get(f"{API}/entity/shots", params={**_in(proj), "fields": "code", "sort": "id"})
    body = first.json()
    assert [r["id"] for r in body["data"]] == made[:20]
    assert [r["attributes"] for r in body["data"]] == [{"code": f"p{i:02d}"} for i in range(20)]
    query = f"filter%5Bproject.Project.id%5D={proj['id']}&fields=code&sort=id"
    base = f"{API}/entity/shots?{query}"
    assert body["links"] == {
        "self": f"{base}&page%5Bnumber%5D=1&page%5Bsize%5D=20",
        "next": f"{base}&page%5Bnumber%5D=2&page%5Bsize%5D=20",
    }
    second = _follow(api, body["links"]["next"]).json()
    assert [r["id"] for r in second["data"]] == made[20:40]
    assert second["links"] == {
        "self": f"{base}&page%5Bnumber%5D=2&page%5Bsize%5D=20",
        "next": f"{base}&page%5Bnumber%5D=3&page%5Bsize%5D=20",
        "prev": f"{base}&page%5Bnumber%5D=1&page%5Bsize%5D=20",
    }
    third = _follow(api, second["links"]["next"]).json()
    assert [r["id"] for r in third["data"]] == made[40:]
    assert third["links"] == {
        "self": f"{base}&page%5Bnumber%5D=3&page%5Bsize%5D=20",
        "prev": f"{base}&page%5Bnumber%5D=2&page%5Bsize%5D=20",
    }
    back = _follow(api, third["links"]["prev"]).json()
    assert back == second

    big = api.get(
        f"{API}/entity/shots", params={**_in(proj), "sort": "id", "page[size]": "40", "page[number]": "2"}
    )
    assert _ids(big) == made[40:]
    assert "next" not in big.json()["links"]
    assert _ids(api.get(f"{API}/entity/shots", params={**_in(proj), "page[size]": "500"})) == made
    beyond = api.get(f"{API}/entity/shots", params={**_in(proj), "page[number]": "9"}).json()
    assert beyond["data"] == []
    assert set(beyond["links"]) == {"self", "prev"}


def test_sort(api: httpx.Client, proj: dict[str, Any]) -> None:
    shots = _shots(api, proj, ["b", "c", "a"])
    by_code = {s["attributes"]["code"]: s["id"] for s in shots}

    def listed(sort: str) -> list[int]:
        return _ids(api.get(f"{API}/entity/shots", params={**_in(proj), "sort": sort}))

    assert listed("code") == [by_code["a"], by_code["b"], by_code["c"]]
    assert listed("-code") == [by_code["c"], by_code["b"], by_code["a"]]
    assert listed("-id") == sorted(by_code.values(), reverse=True)
    assert listed("id") == sorted(by_code.values())
    api.put(f"{API}/entity/shots/{by_code['c']}", json={"sg_status_list": "ip"})
    assert listed("sg_status_list,-code") == [by_code["c"], by_code["b"], by_code["a"]]
    assert listed("-sg_status_list,code") == [by_code["a"], by_code["b"], by_code["c"]]


def test_simple_filters(api: httpx.Client, proj: dict[str, Any]) -> None:
    shots = {s["attributes"]["code"]: s["id"] for s in _shots(api, proj, ["f1", "f2", "f3", "f4"])}
    for code, status, cut_in in (("f2", "ip", 10), ("f3", "fin", 20)):
        reply = api.put(
            f"{API}/entity/shots/{shots[code]}", json={"sg_status_list": status, "sg_cut_in": cut_in}
        )
        assert reply.status_code == 200, reply.text

    def listed(**filters: str) -> list[int]:
        params = {**_in(proj), "sort": "id", **{f"filter[{k}]": v for k, v in filters.items()}}
        return _ids(api.get(f"{API}/entity/shots", params=params))

    assert listed(code="f1") == [shots["f1"]]
    assert listed(code="f1,f4") == [shots["f1"], shots["f4"]]
    assert listed(sg_status_list="ip,fin") == [shots["f2"], shots["f3"]]
    assert listed(sg_status_list="wtg") == [shots["f1"], shots["f4"]]
    assert listed(id=str(shots["f3"])) == [shots["f3"]]
    assert listed(id=f"{shots['f4']},{shots['f1']}") == [shots["f1"], shots["f4"]]
    assert listed(sg_cut_in="20") == [shots["f3"]]
    assert listed(sg_cut_in="10,20") == [shots["f2"], shots["f3"]]
    assert listed(sg_status_list="ip", code="f3") == []
    assert listed(code="nope") == []


def test_include_archived_projects(api: httpx.Client, proj: dict[str, Any]) -> None:
    shot = _shots(api, proj, ["arch"])[0]
    assert api.put(f"{API}/entity/projects/{proj['id']}", json={"archived": True}).status_code == 200
    url = f"{API}/entity/shots"
    assert _ids(api.get(url, params=_in(proj))) == [shot["id"]]
    assert _ids(api.get(url, params={**_in(proj), "options[include_archived_projects]": "true"})) == [
        shot["id"]
    ]
    assert _ids(api.get(url, params={**_in(proj), "options[include_archived_projects]": "false"})) == []
    one = api.get(f"{url}/{shot['id']}", params={"options[include_archived_projects]": "false"})
    errors_of(one, 404)


def test_simple_filter_values_take_the_fields_type(
    api: httpx.Client, proj: dict[str, Any], uniq: str
) -> None:
    """Query-string text is read as the field's type: numbers, floats, checkboxes, links, null."""
    seq = _create(api, "sequences", {"code": "sq", "project": proj})
    digits = _create(api, "shots", {"code": "0123", "sg_frame_rate": 23.976, "project": proj})
    other = _create(api, "shots", {"code": "abc", "sg_sequence": _link(seq), "project": proj})

    def listed(**filters: str) -> list[int]:
        params = {**_in(proj), "sort": "id", **{f"filter[{k}]": v for k, v in filters.items()}}
        return _ids(api.get(f"{API}/entity/shots", params=params))

    assert listed(code="0123") == [digits["id"]]  # text stays text: no leading zero lost
    assert listed(code="0123,abc") == [digits["id"], other["id"]]
    assert listed(sg_frame_rate="23.976") == [digits["id"]]
    assert listed(sg_sequence=str(seq["id"])) == [other["id"]]  # one valid type: a bare id
    assert listed(sg_sequence=f"Sequence:{seq['id']}") == [other["id"]]
    assert listed(sg_sequence="null") == [digits["id"]]
    assert listed(**{"sg_sequence.Sequence.code": "sq"}) == [other["id"]]
    assert listed(project=str(proj["id"])) == [digits["id"], other["id"]]
    assert listed(**{"project.Project.archived": "false"}) == [digits["id"], other["id"]]
    assert listed(**{"project.Project.archived": "true"}) == []
    projects = api.get(
        f"{API}/entity/projects", params={"filter[name]": uniq, "filter[archived]": "false", "fields": "name"}
    )
    assert _ids(projects) == [proj["id"]]
    bad = api.get(f"{API}/entity/shots", params={"filter[sg_cut_in]": "1e3"})
    assert bad.status_code == 400 and "'1e3'" in bad.json()["errors"][0]["title"]
