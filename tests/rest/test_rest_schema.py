"""GET /api/v1/schema/... (compared with api3's schema reads) and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from restkit import API, SCRIPT_KEY, SCRIPT_NAME, RestServer


def _api3(rest: RestServer, method: str, args: dict[str, Any]) -> Any:
    auth = {"script_name": SCRIPT_NAME, "script_key": SCRIPT_KEY}
    reply = httpx.post(f"{rest.url}/api3/json", json={"method_name": method, "params": [auth, args]})
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


@pytest.mark.parametrize("name", ["shots", "Shot"])
def test_schema_entity(api: httpx.Client, name: str) -> None:
    reply = api.get(f"{API}/schema/{name}")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "data": {"name": {"value": "Shot", "editable": False}, "visible": {"value": True, "editable": False}},
        "links": {"self": f"{API}/schema/{name}"},
    }


@pytest.mark.parametrize(("name", "entity_type"), [("shots", "Shot"), ("published_files", "PublishedFile")])
def test_schema_fields_match_api3(rest: RestServer, api: httpx.Client, name: str, entity_type: str) -> None:
    reply = api.get(f"{API}/schema/{name}/fields")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["links"] == {"self": f"{API}/schema/{name}/fields"}
    assert body["data"] == _api3(rest, "schema_field_read", {"type": entity_type})
    assert body["data"]["code"]["data_type"] == {"value": "text", "editable": False}
    assert all(f["entity_type"]["value"] == entity_type for f in body["data"].values())


@pytest.mark.parametrize(
    ("name", "field", "data_type"),
    [("shots", "code", "text"), ("shots", "assets", "multi_entity"), ("published_files", "path", "url")],
)
def test_schema_field_matches_api3(
    rest: RestServer, api: httpx.Client, name: str, field: str, data_type: str
) -> None:
    reply = api.get(f"{API}/schema/{name}/fields/{field}")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    entity_type = "Shot" if name == "shots" else "PublishedFile"
    assert body == {
        "data": _api3(rest, "schema_field_read", {"type": entity_type, "field_name": field})[field],
        "links": {"self": f"{API}/schema/{name}/fields/{field}"},
    }
    assert body["data"]["data_type"]["value"] == data_type


def test_spec_needs_no_token(rest: RestServer) -> None:
    reply = httpx.get(f"{rest.url}{API}/spec.json")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    spec = reply.json()
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "shotlog REST API (FPTR-compatible)"
    assert spec["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    uploads = [f"{API}/entity/{{entity}}/{{id}}{f}/_upload" for f in ("", "/{field}")]
    # these among every /api/v1 route (test_spec_routes.py holds the document to the URL map)
    assert set(spec["paths"]) >= {
        f"{API}/auth/access_token",
        f"{API}/entity/{{entity}}",
        f"{API}/entity/{{entity}}/_search",
        f"{API}/entity/{{entity}}/{{id}}",
        f"{API}/entity/{{entity}}/{{id}}/{{field}}",
        *uploads,
        *(f"{u}/multipart" for u in uploads),
        *(f"{u}/multipart_abort" for u in uploads),
        f"{API}/schema/{{entity}}",
        f"{API}/schema/{{entity}}/fields",
        f"{API}/schema/{{entity}}/fields/{{field}}",
        f"{API}/permission_rule_sets",
        f"{API}/permission_rule_sets/{{rule_set}}",
        f"{API}/permission_rule_sets/{{rule_set}}/rules",
    }
    operations = {(path, method): op for path, item in spec["paths"].items() for method, op in item.items()}
    assert set(operations) >= {
        (f"{API}/auth/access_token", "post"),
        (f"{API}/entity/{{entity}}", "get"),
        (f"{API}/entity/{{entity}}", "post"),
        (f"{API}/entity/{{entity}}/_search", "post"),
        (f"{API}/entity/{{entity}}/{{id}}", "get"),
        (f"{API}/entity/{{entity}}/{{id}}", "put"),
        (f"{API}/entity/{{entity}}/{{id}}", "delete"),
        (f"{API}/entity/{{entity}}/{{id}}", "post"),
        (f"{API}/entity/{{entity}}/{{id}}/{{field}}", "get"),
        *((u, m) for u in uploads for m in ("get", "post")),
        *((f"{u}/multipart", "get") for u in uploads),
        *((f"{u}/multipart_abort", "post") for u in uploads),
        (f"{API}/schema/{{entity}}", "get"),
        (f"{API}/schema/{{entity}}/fields", "get"),
        (f"{API}/schema/{{entity}}/fields/{{field}}", "get"),
        (f"{API}/permission_rule_sets", "get"),
        (f"{API}/permission_rule_sets/{{rule_set}}", "get"),
        (f"{API}/permission_rule_sets/{{rule_set}}/rules", "patch"),
    }
    assert len({op["operationId"] for op in operations.values()}) == len(operations)
    for (path, _), op in operations.items():
        statuses = set(op["responses"])
        if path.endswith("access_token"):
            assert "security" not in op
            assert statuses == {"200", "400", "405", "408", "413", "429", "503"}
        elif path.endswith("spec.json"):  # the document itself needs no token either
            assert "security" not in op
        else:
            assert op["security"] == [{"bearer": []}]
            assert {"400", "401", "403", "404", "405", "408", "409", "413", "503"} <= statuses


def test_spec_lists_the_entity_types(api: httpx.Client, rest: RestServer) -> None:
    spec = httpx.get(f"{rest.url}{API}/spec.json").json()
    types = sorted(_api3(rest, "schema_entity_read", {}))
    entity = spec["paths"][f"{API}/entity/{{entity}}"]["get"]["parameters"][0]
    assert entity["name"] == "entity"
    assert {"shots", "Shot", "published_files", "PublishedFile", "event_log_entries"} <= set(
        entity["schema"]["enum"]
    )
    assert len(entity["schema"]["enum"]) == 2 * len(types)
    # Every name the document offers is one the API accepts.
    for name in entity["schema"]["enum"]:
        assert api.get(f"{API}/schema/{name}").status_code == 200, name
