"""Bad input answers 4xx with the JSON errors envelope naming the parameter, field or value.

Never a 5xx: the autouse fixture of the conftest fails any test during which the server answered a
5xx or logged a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from restkit import API, errors_of

ID_TITLE = "Entity id must be a positive integer of at most 64 bits, got {!r}"


@pytest.fixture
def shot(api: httpx.Client, proj: dict[str, Any]) -> dict[str, Any]:
    reply = api.post(f"{API}/entity/shots", json={"code": "err", "project": proj})
    assert reply.status_code == 201, reply.text
    return dict(reply.json()["data"])


def _send(
    api: httpx.Client,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    if raw is not None:
        return api.request(
            method, f"{API}{path}", content=raw, params=params, headers={"content-type": "application/json"}
        )
    if body is None:
        return api.request(method, f"{API}{path}", params=params)
    return api.request(method, f"{API}{path}", json=body, params=params)


# -- unknown entity types, ids, paths, methods ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/entity/nopes"),
        ("POST", "/entity/nopes"),
        ("POST", "/entity/nopes/_search"),
        ("GET", "/entity/nopes/1"),
        ("PUT", "/entity/nopes/1"),
        ("DELETE", "/entity/nopes/1"),
        ("POST", "/entity/nopes/1?revive=true"),
        ("GET", "/schema/nopes"),
        ("GET", "/schema/nopes/fields"),
        ("GET", "/schema/nopes/fields/code"),
    ],
)
def test_unknown_entity_type_is_404(api: httpx.Client, method: str, path: str) -> None:
    error = errors_of(_send(api, method, path, {"code": "x"} if method in ("POST", "PUT") else None), 404)
    assert error["title"] == "Unknown entity type 'nopes'"
    assert error["source"] == {"parameter": "entity"}


def test_unknown_id_is_404(api: httpx.Client) -> None:
    missing = 2**62
    error = errors_of(api.get(f"{API}/entity/shots/{missing}"), 404)
    assert error == {**error, "title": f"No Shot with id {missing}", "source": {"parameter": "id"}}
    for method, body, params in (
        ("PUT", {"code": "x"}, {}),
        ("DELETE", None, {}),
        ("POST", None, {"revive": "true"}),
    ):
        error = errors_of(_send(api, method, f"/entity/shots/{missing}", body, params=params), 404, 104)
        assert f"Shot with id {missing}" in error["title"]


_BAD_IDS = ["abc", "1.5", "0", "-3", "1e3", str(2**63), "99999999999999999999", "_searchx"]
_ID_ROUTES = [("GET", {}), ("PUT", {}), ("DELETE", {}), ("POST", {"revive": "true"})]


@pytest.mark.parametrize(
    ("raw", "method", "params"),
    [(raw, method, params) for raw in _BAD_IDS for method, params in _ID_ROUTES],
)
def test_non_integer_id_is_400(api: httpx.Client, raw: str, method: str, params: dict[str, str]) -> None:
    body = {"code": "x"} if method == "PUT" else None
    error = errors_of(_send(api, method, f"/entity/shots/{raw}", body, params=params), 400)
    assert error["title"] == ID_TITLE.format(raw)
    assert error["source"] == {"parameter": "id"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/entity",
        "/api/v1/entity/shots/1/extra",
        "/api/v2/entity/shots",
        "/nope",
        "/api/v1",
    ],
)
def test_unknown_paths_are_json_404(api: httpx.Client, path: str) -> None:
    error = errors_of(api.get(path), 404)
    assert error["title"] == f"No such path: {path}"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/entity/shots", {"GET", "HEAD", "POST"}),
        ("DELETE", "/entity/shots", {"GET", "HEAD", "POST"}),
        ("PATCH", "/entity/shots/1", {"GET", "HEAD", "PUT", "DELETE", "POST"}),
        ("GET", "/auth/access_token", {"POST"}),
        ("GET", "/entity/shots/_search", {"POST"}),
        ("HEAD", "/entity/shots/_search", {"POST"}),
        ("PUT", "/entity/shots/_search", {"POST"}),
        ("DELETE", "/entity/shots/_search", {"POST"}),
        ("POST", "/schema/shots", {"GET", "HEAD"}),
        ("DELETE", "/schema/shots/fields/code", {"GET", "HEAD"}),
        ("PUT", "/spec.json", {"GET", "HEAD"}),
        ("OPTIONS", "/entity/shots", {"GET", "HEAD", "POST"}),
    ],
)
def test_wrong_method_is_json_405(api: httpx.Client, method: str, path: str, allowed: set[str]) -> None:
    reply = api.request(method, f"{API}{path}")
    if method == "HEAD":
        assert reply.status_code == 405 and reply.content == b""
        assert set(reply.headers["allow"].split(", ")) == allowed
        return
    error = errors_of(reply, 405)
    assert error["title"] == f"{method} is not allowed on {API}{path}"
    assert set(reply.headers["allow"].split(", ")) == allowed


# -- unknown fields, invalid values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "names"),
    [
        ("POST", "/entity/shots", {"code": "x", "bogus": 1}, {}, ["'bogus'"]),
        ("PUT", "/entity/shots/{shot}", {"bogus": 1}, {}, ["'bogus'"]),
        ("GET", "/entity/shots", None, {"filter[bogus]": "1"}, ["'bogus'"]),
        ("GET", "/entity/shots", None, {"sort": "bogus"}, ["'bogus'"]),
        ("GET", "/entity/shots", None, {"sort": "code,-bogus"}, ["'bogus'"]),
        ("POST", "/entity/shots/_search", {"filters": [["bogus", "is", 1]]}, {}, ["'bogus'"]),
        ("POST", "/entity/shots/_search", {"filters": [["project.Project.bogus", "is", 1]]}, {}, ["bogus"]),
        ("POST", "/entity/shots/_search", {"sort": "-bogus"}, {}, ["'bogus'"]),
    ],
)
def test_unknown_field_is_400(
    api: httpx.Client,
    shot: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    params: dict[str, str],
    names: list[str],
) -> None:
    error = errors_of(_send(api, method, path.format(shot=shot["id"]), body, params=params), 400, 104)
    for name in names:
        assert name in error["title"]


def test_unknown_field_in_the_schema_path_is_404(api: httpx.Client) -> None:
    error = errors_of(api.get(f"{API}/schema/shots/fields/bogus"), 404)
    assert error["title"] == "Shot has no field 'bogus'"
    assert error["source"] == {"parameter": "field"}


def test_unknown_return_fields_read_as_null(api: httpx.Client, shot: dict[str, Any]) -> None:
    """As in api3 (docs/api3.md): scripts asking for site-specific fields keep working."""
    reply = api.get(f"{API}/entity/shots/{shot['id']}", params={"fields": "code,sg_custom_thing"})
    assert reply.json()["data"]["attributes"] == {"code": "err", "sg_custom_thing": None}


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ({"sg_cut_in": "x"}, "sg_cut_in", "'x'"),
        ({"sg_cut_in": 1.5}, "sg_cut_in", "1.5"),
        ({"sg_cut_in": 2**70}, "sg_cut_in", str(2**70)),
        ({"sg_frame_rate": "fast"}, "sg_frame_rate", "'fast'"),
        ({"sg_status_list": "nope"}, "sg_status_list", "'nope'"),
        ({"code": 5}, "code", "5"),
        ({"code": "a\u0000b"}, "code", "'a\\x00b'"),
        ({"project": "x"}, "project", "'x'"),
        ({"project": {"type": "Project", "id": 2**62}}, "project", str(2**62)),
        ({"assets": [{"type": "Bogus", "id": 1}]}, "assets", "Bogus"),
        ({"tag_list": "x"}, "tag_list", "'x'"),
        ({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at", "read-only"),
        ({"id": 5}, "id", "read-only"),
    ],
)
def test_invalid_value_is_400(
    api: httpx.Client, shot: dict[str, Any], body: dict[str, Any], field: str, value: str
) -> None:
    for reply in (
        api.post(f"{API}/entity/shots", json=body),
        api.put(f"{API}/entity/shots/{shot['id']}", json=body),
    ):
        error = errors_of(reply, 400, 104)
        assert f"Shot.{field}" in error["title"]
        assert value in error["title"]
        assert error["source"] == {"field": field}


@pytest.mark.parametrize(
    ("params", "value"),
    [
        ({"filter[sg_cut_in]": "abc"}, "'abc'"),
        ({"filter[id]": str(2**70)}, str(2**70)),
        ({"filter[id]": ""}, "''"),
        ({"filter[code]": "a\u0000b"}, "'a\\x00b'"),
        ({"filter[created_at]": "yesterday"}, "'yesterday'"),
    ],
)
def test_invalid_filter_value_is_400(api: httpx.Client, params: dict[str, str], value: str) -> None:
    error = errors_of(api.get(f"{API}/entity/shots", params=params), 400, 104)
    assert value in error["title"]


@pytest.mark.parametrize(
    ("filters", "text"),
    [
        ([["code", "bogus_rel", "a"]], "'bogus_rel'"),
        ([["created_at", "greater_than", "notadate"]], "'notadate'"),
        ([["created_at", "in_last", 10**14, "DAY"]], str(10**14)),
        ([["sg_cut_in", "between", 1]], "between"),
        ([["id", "is", 2**70]], str(2**70)),
        ([["code"]], "['code']"),
        ([1, 2], "1"),
        ("x", "'x'"),
        (5, "5"),
        ({"logical_operator": "xor", "conditions": []}, "'xor'"),
        ({"logical_operator": 1, "conditions": []}, "1"),
        ({"conditions": 5}, "5"),
        ({"conditions": [], "filters": []}, "'filters'"),
        ({"conditions": [{"x": 1}]}, "{'x': 1}"),
        ({"conditions": [["code", "is", "a"], "b"]}, "'b'"),
    ],
)
def test_invalid_search_filters_are_400(api: httpx.Client, filters: Any, text: str) -> None:
    error = errors_of(api.post(f"{API}/entity/shots/_search", json={"filters": filters}), 400, 104)
    assert text in error["title"]


def test_too_deeply_nested_filters_are_400(api: httpx.Client) -> None:
    group: dict[str, Any] = {"logical_operator": "and", "conditions": [["code", "is", "x"]]}
    for _ in range(40):
        group = {"logical_operator": "or", "conditions": [group]}
    error = errors_of(api.post(f"{API}/entity/shots/_search", json={"filters": group}), 400, 104)
    assert error["title"] == "filters are nested too deeply (at most 32 groups)"
    array: list[Any] = [["code", "is", "x"]]
    for _ in range(40):
        array = [{"filter_operator": "any", "filters": array}]
    errors_of(api.post(f"{API}/entity/shots/_search", json={"filters": array}), 400, 104)
    # 30 groups are fine.
    group = {"logical_operator": "and", "conditions": [["code", "is", "x"]]}
    for _ in range(30):
        group = {"logical_operator": "or", "conditions": [group]}
    assert api.post(f"{API}/entity/shots/_search", json={"filters": group}).status_code == 200


def test_bad_update_modes_are_400(api: httpx.Client, shot: dict[str, Any]) -> None:
    url = f"{API}/entity/shots/{shot['id']}"
    bogus = api.put(url, json={"assets": []}, params={"options[multi_entity_update_modes][assets]": "bogus"})
    assert "'bogus'" in errors_of(bogus, 400, 104)["title"]
    single = api.put(url, json={"code": "x"}, params={"options[multi_entity_update_modes][code]": "add"})
    assert "Shot.code" in errors_of(single, 400, 104)["title"]


# -- malformed bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/entity/shots"), ("PUT", "/entity/shots/{shot}"), ("POST", "/entity/shots/_search")],
)
@pytest.mark.parametrize(
    ("raw", "title"),
    [
        (b"{bad", "The request body is not valid JSON: Expecting property name enclosed in double quotes"),
        (b'{"code": "x"', "The request body is not valid JSON: Expecting ',' delimiter"),
        (b'{"sg_frame_rate": NaN}', "The request body is not valid JSON: NaN is not a JSON number"),
        (
            b'{"sg_frame_rate": -Infinity}',
            "The request body is not valid JSON: -Infinity is not a JSON number",
        ),
        (b"\xff\xfe{", "The request body is not valid JSON: "),
        (b"[" * 100_000 + b"]" * 100_000, "The request body is nested too deeply"),
    ],
)
def test_malformed_json_is_400(
    api: httpx.Client, shot: dict[str, Any], method: str, path: str, raw: bytes, title: str
) -> None:
    error = errors_of(_send(api, method, path.format(shot=shot["id"]), raw=raw), 400)
    assert error["title"].startswith(title)


@pytest.mark.parametrize("raw", [b"[1]", b'"str"', b"5", b"null"])
@pytest.mark.parametrize(("method", "path"), [("POST", "/entity/shots"), ("PUT", "/entity/shots/{shot}")])
def test_non_object_body_is_400(
    api: httpx.Client, shot: dict[str, Any], method: str, path: str, raw: bytes
) -> None:
    error = errors_of(_send(api, method, path.format(shot=shot["id"]), raw=raw), 400)
    assert (
        error["title"] == f"The request body must be a JSON object of field values, got {json.loads(raw)!r}"
    )


@pytest.mark.parametrize(("method", "path"), [("POST", "/entity/shots"), ("PUT", "/entity/shots/{shot}")])
def test_missing_body_is_400(api: httpx.Client, shot: dict[str, Any], method: str, path: str) -> None:
    for raw in (b"", b"  \n"):
        error = errors_of(_send(api, method, path.format(shot=shot["id"]), raw=raw), 400)
        assert error["title"] == "The request needs a JSON object body"


@pytest.mark.parametrize("raw", [b"[]", b"[1]", b'"x"', b"null"])
def test_non_object_search_body_is_400(api: httpx.Client, raw: bytes) -> None:
    error = errors_of(_send(api, "POST", "/entity/shots/_search", raw=raw), 400)
    assert error["title"] == "The search body must be a JSON object with filters, fields, sort, page, options"


# -- paging and options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "top"),
    [
        ("page[size]", "0", 500),
        ("page[size]", "501", 500),
        ("page[size]", "-1", 500),
        ("page[size]", "abc", 500),
        ("page[size]", "1.5", 500),
        ("page[size]", "", 500),
        ("page[number]", "0", 2**31 - 1),
        ("page[number]", "x", 2**31 - 1),
        ("page[number]", str(2**31), 2**31 - 1),
        ("page[number]", "99999999999999999999999", 2**31 - 1),
    ],
)
def test_page_out_of_range_is_400(api: httpx.Client, key: str, raw: str, top: int) -> None:
    error = errors_of(api.get(f"{API}/entity/shots", params={key: raw}), 400)
    assert error["title"] == f"{key} must be an integer from 1 to {top}, got {raw!r}"
    assert error["source"] == {"parameter": key}
    # The same in a _search body.
    if raw.lstrip("-").isdigit():
        name = key[len("page[") : -1]
        searched = errors_of(api.post(f"{API}/entity/shots/_search", json={"page": {name: int(raw)}}), 400)
        assert searched["title"] == f"{key} must be an integer from 1 to {top}, got {raw!r}"
    # ... and in the query string of a _search, even where the body has its own page.
    body = {"page": {"number": 1, "size": 1}}
    searched = errors_of(api.post(f"{API}/entity/shots/_search", json=body, params={key: raw}), 400)
    assert searched["title"] == f"{key} must be an integer from 1 to {top}, got {raw!r}"


def test_largest_page_number_is_fine(api: httpx.Client) -> None:
    reply = api.get(f"{API}/entity/shots", params={"page[number]": str(2**31 - 1), "page[size]": "500"})
    assert reply.status_code == 200
    assert reply.json()["data"] == []


@pytest.mark.parametrize(
    ("params", "title", "source"),
    [
        (
            {"options[return_only]": "all"},
            "options[return_only] must be active or retired, got 'all'",
            {"parameter": "options[return_only]"},
        ),
        (
            {"options[include_archived_projects]": "1"},
            "options[include_archived_projects] must be true or false, got '1'",
            {"parameter": "options[include_archived_projects]"},
        ),
        (
            {"options[include_archived_projects]": "maybe"},
            "options[include_archived_projects] must be true or false, got 'maybe'",
            {"parameter": "options[include_archived_projects]"},
        ),
        (
            {"filter[]": "1"},
            "Expected filter[<field>]=<value>, got parameter 'filter[]'",
            {"parameter": "filter[]"},
        ),
        (
            {"filter[code][x]": "1"},
            "Expected filter[<field>]=<value>, got parameter 'filter[code][x]'",
            {"parameter": "filter[code][x]"},
        ),
    ],
)
def test_bad_list_parameters_are_400(
    api: httpx.Client, params: dict[str, str], title: str, source: dict[str, str]
) -> None:
    error = errors_of(
        api.get(f"{API}/entity/shots", params=params), 400, None if "filter" not in title else 104
    )
    assert error["title"] == title
    assert error["source"] == source


@pytest.mark.parametrize(
    ("body", "title", "pointer"),
    [
        ({"fields": 5}, "fields must be a string or an array of strings, got 5", "/fields"),
        ({"fields": [1, 2]}, "fields must be a string or an array of strings, got [1, 2]", "/fields"),
        ({"fields": {}}, "fields must be a string or an array of strings, got {}", "/fields"),
        ({"sort": 5}, "sort must be a string or an array of strings, got 5", "/sort"),
        ({"sort": ["-id", 5]}, "sort must be a string or an array of strings, got ['-id', 5]", "/sort"),
        ({"page": "x"}, "page must be an object with number and size, got 'x'", "/page"),
        ({"page": [1]}, "page must be an object with number and size, got [1]", "/page"),
        ({"page": {"size": True}}, "page.size must be an integer, got True", "/page/size"),
        ({"page": {"size": 1.5}}, "page.size must be an integer, got 1.5", "/page/size"),
        ({"page": {"number": None}}, "page.number must be an integer, got None", "/page/number"),
        ({"page": {"number": "2"}}, "page.number must be an integer, got '2'", "/page/number"),
        ({"page": None}, "page must be an object with number and size, got None", "/page"),
        ({"fields": None}, "fields must be a string or an array of strings, got None", "/fields"),
        ({"sort": None}, "sort must be a string or an array of strings, got None", "/sort"),
        ({"options": None}, "options must be an object, got None", "/options"),
        ({"filters": None}, "filters must be an array or an object, got None", "/filters"),
        ({"options": []}, "options must be an object, got []", "/options"),
        ({"options": {"return_only": 1}}, "options.return_only must be a string or a boolean, got 1", None),
    ],
)
def test_bad_search_body_is_400(
    api: httpx.Client, body: dict[str, Any], title: str, pointer: str | None
) -> None:
    error = errors_of(api.post(f"{API}/entity/shots/_search", json=body), 400)
    assert error["title"] == title
    assert error["source"] == {"pointer": pointer or "/options/return_only"}


@pytest.mark.parametrize(
    ("options", "title"),
    [
        ({"return_only": "all"}, "options[return_only] must be active or retired, got 'all'"),
        (
            {"include_archived_projects": "maybe"},
            "options[include_archived_projects] must be true or false, got 'maybe'",
        ),
    ],
)
def test_bad_search_option_values_are_400(api: httpx.Client, options: dict[str, Any], title: str) -> None:
    error = errors_of(api.post(f"{API}/entity/shots/_search", json={"options": options}), 400)
    assert error["title"] == title


# -- conflicts and permissions --------------------------------------------------------------------


def test_duplicate_project_name_is_409(api: httpx.Client, proj: dict[str, Any], uniq: str) -> None:
    error = errors_of(api.post(f"{API}/entity/projects", json={"name": proj["name"]}), 409, 104)
    assert repr(proj["name"]) in error["title"]
    other = api.post(f"{API}/entity/projects", json={"name": f"{uniq}-other"}).json()["data"]
    renamed = api.put(f"{API}/entity/projects/{other['id']}", json={"name": proj["name"]})
    assert repr(proj["name"]) in errors_of(renamed, 409, 104)["title"]


def test_event_log_entries_cannot_change(api: httpx.Client, proj: dict[str, Any]) -> None:
    events = api.get(f"{API}/entity/event_log_entries", params={"sort": "-id", "page[size]": "1"}).json()[
        "data"
    ]
    url = f"{API}/entity/event_log_entries/{events[0]['id']}"
    assert errors_of(api.put(url, json={"description": "x"}), 403, 104)["title"] == (
        "EventLogEntry entities cannot be updated"
    )
    assert errors_of(api.delete(url), 403, 104)["title"] == "EventLogEntry entities cannot be deleted"
    revive = api.post(url, params={"revive": "true"})
    assert errors_of(revive, 403, 104)["title"] == "EventLogEntry entities cannot be revived"


# -- sizes a database would refuse ----------------------------------------------------------------


def _nested(conditions: list[Any], depth: int) -> dict[str, Any]:
    group: dict[str, Any] = {"logical_operator": "and", "conditions": conditions}
    for i in range(depth):
        group = {"logical_operator": "or" if i % 2 else "and", "conditions": [group]}
    return group


@pytest.mark.parametrize(
    "conditions",
    [
        [["sg_cut_in", "between", i, i + 1] for i in range(200)],
        [["project.Project.name", "is_not", str(i)] for i in range(200)],
        [["project.Project.start_date", "between", "2020-01-01", "2021-01-01"] for _ in range(200)],
        [["created_at", "in_last", i + 1, "DAY"] for i in range(200)],
        [["assets", "is_not", {"type": "Asset", "id": i + 1}] for i in range(200)],
    ],
    ids=["between", "deep-is_not", "deep-between", "in_last", "multi-entity"],
)
def test_the_most_conditions_allowed_work(api: httpx.Client, conditions: list[Any]) -> None:
    """200 conditions (the cap), nested 31 groups deep: within SQLite's expression depth of 1000."""
    reply = api.post(f"{API}/entity/shots/_search", json={"filters": _nested(conditions, 31), "fields": "id"})
    assert reply.status_code == 200, reply.text


def test_too_many_conditions_are_400(api: httpx.Client) -> None:
    filters = [["code", "is_not", str(i)] for i in range(201)]
    error = errors_of(api.post(f"{API}/entity/shots/_search", json={"filters": filters}), 400, 104)
    assert error["title"] == "filters have 201 conditions; at most 200 are allowed"
    nested = _nested([["code", "is_not", str(i)] for i in range(201)], 3)
    errors_of(api.post(f"{API}/entity/shots/_search", json={"filters": nested}), 400, 104)
    simple = {f"filter[f{i}]": "1" for i in range(201)}
    error = errors_of(api.get(f"{API}/entity/shots", params=simple), 400, 104)
    assert error["title"] == "filters have 201 conditions; at most 200 are allowed"


def test_too_many_filter_values_are_400(api: httpx.Client) -> None:
    assert (
        api.post(
            f"{API}/entity/shots/_search", json={"filters": [["id", "in", list(range(1, 10_001))]]}
        ).status_code
        == 200
    )
    filters = [["id", "in", list(range(1, 6_001))], ["id", "not_in", list(range(1, 4_002))]]
    error = errors_of(api.post(f"{API}/entity/shots/_search", json={"filters": filters}), 400, 104)
    assert error["title"] == "filters have 10001 values; at most 10000 are allowed"


def test_too_many_sort_fields_are_400(api: httpx.Client) -> None:
    assert api.get(f"{API}/entity/shots", params={"sort": ",".join(["code"] * 100)}).status_code == 200
    for reply in (
        api.get(f"{API}/entity/shots", params={"sort": ",".join(["code"] * 101)}),
        api.post(f"{API}/entity/shots/_search", json={"sort": ["-id"] * 101}),
    ):
        error = errors_of(reply, 400, 104)
        assert error["title"] == "sort has 101 fields; at most 100 are allowed"
        assert error["source"] == {"parameter": "sort"}


def test_huge_bad_values_are_not_echoed_whole(api: httpx.Client) -> None:
    error = errors_of(api.post(f"{API}/entity/shots", json={"sg_cut_in": "x" * 100_000}), 400, 104)
    assert len(error["title"]) == 1000 and error["title"].endswith("...")
    assert error["title"].startswith("Shot.sg_cut_in")
    error = errors_of(api.post(f"{API}/entity/shots", json=list(range(100_000))), 400)
    assert len(error["title"]) < 300 and error["title"].endswith("...")
    error = errors_of(api.post(f"{API}/entity/shots/_search", json={"fields": [1] * 100_000}), 400)
    assert len(error["title"]) < 300
