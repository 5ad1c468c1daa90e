"""The error envelope: every mistake a caller can make is HTTP 200 with a specific message, never a 500."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
import shotgun_api3
from sgserver import SCRIPT_KEY, SCRIPT_NAME, Server


def envelope(reply: Any) -> dict[str, Any]:
    """Check a raw reply is the error envelope and return it."""
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"exception", "message", "error_code"}, body
    assert body["exception"] is True
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def test_unknown_method_through_the_client(sg: shotgun_api3.Shotgun) -> None:
    with pytest.raises(shotgun_api3.Fault, match=r"^API no_such_method\(\) does not exist"):
        sg._call_rpc("no_such_method", {"type": "Shot"})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda sg: sg.find("NoSuchType", []),
            r"^API read\(\) CRUD ERROR #\d+: Unknown entity type 'NoSuchType'",
        ),
        (lambda sg: sg.find("Shot", [], ["code"], order=[{"field_name": "nope"}]), "nope"),
        (
            lambda sg: sg.create("Shot", {"no_such_field": 1}),
            r"^API create\(\) CRUD ERROR #\d+: .*no_such_field",
        ),
        (lambda sg: sg.create("NoSuchType", {"code": "x"}), "NoSuchType"),
        (lambda sg: sg.create("Shot", {"id": 5}), "id"),
        (lambda sg: sg.create("Shot", {"created_by": {"type": "Shot", "id": 1}}), "created_by"),
        (lambda sg: sg.update("Shot", 1, {"no_such_field": 1}), r"^API update\(\) CRUD ERROR"),
        (lambda sg: sg.update("Shot", sg.create("Shot", {"code": "x"})["id"], {"code": {"a": 1}}), "code"),
        (lambda sg: sg.delete("NoSuchType", 1), r"^API delete\(\) CRUD ERROR"),
        (lambda sg: sg.revive("Shot", 0), r"^API revive\(\) CRUD ERROR"),
        (lambda sg: sg.summarize("Shot", [], [{"field": "id"}]), r"^API summarize\(\) CRUD ERROR"),
        (
            lambda sg: sg.find("Shot", [], ["code"], additional_filter_presets=[{"preset_name": "NOPE"}]),
            "preset",
        ),
    ],
)
def test_client_mistakes_are_faults(
    server: Server, sg: shotgun_api3.Shotgun, call: Any, message: str
) -> None:
    mark = server.log_mark()
    with pytest.raises(shotgun_api3.Fault, match=message):
        call(sg)
    assert "Traceback" not in server.log_since(mark)


AUTH = {"script_name": SCRIPT_NAME, "script_key": SCRIPT_KEY}


def _rpc(method: str, args: Any, auth: Any = AUTH) -> dict[str, Any]:
    return {"method_name": method, "params": [auth, args]}


RAW_CASES: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("empty", b"", "not valid JSON"),
    ("not-json", b"{method_name: read}", "not valid JSON"),
    ("truncated", b'{"method_name": "read", "params": [', "not valid JSON"),
    ("not-utf8", b'{"method_name": "r\xffead"}', "not valid JSON"),
    ("array", b"[1, 2]", "must be a JSON object"),
    ("string", b'"read"', "must be a JSON object"),
    ("no-method", {"params": []}, "method_name"),
    ("method-number", {"method_name": 5, "params": []}, "method_name"),
    ("method-empty", {"method_name": "", "params": []}, "method_name"),
    ("params-object", {"method_name": "read", "params": {"type": "Shot"}}, "params must be a list"),
    ("params-string", {"method_name": "read", "params": "x"}, "params must be a list"),
    ("auth-list", {"method_name": "read", "params": [["x"], {"type": "Shot"}]}, "auth"),
    ("auth-string", {"method_name": "read", "params": ["key", {"type": "Shot"}]}, "auth"),
    ("no-auth", {"method_name": "read", "params": []}, "Authentication failed"),
    ("args-list", _rpc("read", ["Shot"]), "expects an object"),
    ("args-string", _rpc("create", "Shot"), "expects an object"),
    ("type-missing", _rpc("read", {}), "type"),
    ("type-number", _rpc("read", {"type": 5}), "type"),
    ("fields-dict", _rpc("create", {"type": "Shot", "fields": {"code": "x"}}), "fields"),
    ("field-no-name", _rpc("create", {"type": "Shot", "fields": [{"value": "x"}]}), "field_name"),
    (
        "return-fields-str",
        _rpc("create", {"type": "Shot", "fields": [], "return_fields": "code"}),
        "return_fields",
    ),
    ("read-fields-bad", _rpc("read", {"type": "Shot", "return_fields": [1, {"a": 2}]}), "return_fields"),
    ("id-string", _rpc("update", {"type": "Shot", "id": "1", "fields": []}), "id"),
    ("id-bool", _rpc("delete", {"type": "Shot", "id": True}), "id"),
    ("id-float", _rpc("revive", {"type": "Shot", "id": 1.5}), "id"),
    ("huge-id", _rpc("delete", {"type": "Shot", "id": 10**30}), "64 bits"),
    ("huge-negative", _rpc("read", {"type": "Shot", "paging": {"entities_per_page": -(10**20)}}), "64 bits"),
    ("huge-filter", _rpc("read", {"type": "Shot", "filters": [["id", "is", 10**19]]}), "64 bits"),
    (
        "paging-zero",
        _rpc("read", {"type": "Shot", "paging": {"entities_per_page": 0, "current_page": 1}}),
        "paging",
    ),
    ("paging-str", _rpc("read", {"type": "Shot", "paging": {"entities_per_page": "5"}}), "paging"),
    ("paging-big", _rpc("read", {"type": "Shot", "paging": {"entities_per_page": 10**9}}), "at most"),
    ("paging-list", _rpc("read", {"type": "Shot", "paging": [1]}), "paging"),
    ("return-only", _rpc("read", {"type": "Shot", "return_only": "both"}), "return_only"),
    ("filters-str", _rpc("read", {"type": "Shot", "filters": "code is x"}), "Filters"),
    (
        "filters-op",
        _rpc("read", {"type": "Shot", "filters": {"logical_operator": "xor", "conditions": []}}),
        "xor",
    ),
    ("filter-short", _rpc("read", {"type": "Shot", "filters": [["code", "is"]]}), "code"),
    ("filter-one", _rpc("read", {"type": "Shot", "filters": [["code"]]}), "code"),
    ("filter-number", _rpc("read", {"type": "Shot", "filters": [5]}), "5"),
    ("filter-relation", _rpc("read", {"type": "Shot", "filters": [["code", 5, "x"]]}), "relation"),
    ("sorts-str", _rpc("read", {"type": "Shot", "sorts": "id"}), "sort"),
    ("sorts-dir", _rpc("read", {"type": "Shot", "sorts": [{"field_name": "id", "direction": "up"}]}), "up"),
    ("batch-dict", _rpc("batch", {"request_type": "create"}), "list of requests"),
    ("batch-item", _rpc("batch", [5]), "index 0"),
    (
        "sudo-dict",
        {"method_name": "read", "params": [{**AUTH, "sudo_as_login": {"a": 1}}, {"type": "Shot"}]},
        "sudo",
    ),
    (
        "session-uuid-num",
        {"method_name": "read", "params": [{**AUTH, "session_uuid": 5}, {"type": "Shot"}]},
        "uuid",
    ),
    ("deep", _rpc("read", {"type": "Shot", "filters": json.loads("[" * 200 + "]" * 200)}), "nested"),
    ("surrogate", b'{"method_name": "read", "params": [{}, {"type": "\\ud800"}]}', "Unicode"),
    ("schema-project", _rpc("schema_field_read", {"type": "Shot", "project": 5}), "project"),
    ("schema-field-name", _rpc("schema_field_read", {"type": "Shot", "field_name": 5}), "field_name"),
    (
        "schema-entity-name",
        _rpc("schema_entity_create", {"type": "Thing", "properties": {"name": 5}}),
        "name",
    ),
    (
        "schema-data-type",
        _rpc("schema_field_create", {"type": "Shot", "data_type": 5, "properties": []}),
        "data_type",
    ),
    (
        "schema-props",
        _rpc("schema_field_update", {"type": "Shot", "field_name": "code", "properties": 5}),
        "properties",
    ),
    ("follow-shape", _rpc("follow", {"user": 1, "entity": []}), "user"),
    ("text-search", _rpc("query_display_name_cache", {"text": "zebra", "entity_types": 5}), "entity_types"),
    (
        "last-accessed",
        _rpc("update_project_last_accessed_by_current_user", {"project_id": "1"}),
        "project_id",
    ),
]


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_raw_mistakes_get_the_error_envelope(
    server: Server, body: bytes | dict[str, Any], message: str
) -> None:
    mark = server.log_mark()
    reply = server.post(body)
    got = envelope(reply)
    assert message in got["message"], got
    assert "Traceback" not in server.log_since(mark)


def test_auth_errors_use_code_102(server: Server) -> None:
    assert (
        envelope(server.post({"method_name": "read", "params": ["key", {"type": "Shot"}]}))["error_code"]
        == 102
    )
    bad = {"script_name": SCRIPT_NAME, "script_key": "nope"}
    assert envelope(server.post(_rpc("read", {"type": "Shot"}, bad)))["error_code"] == 102
    assert envelope(server.post(_rpc("read", {"type": "Shot"}, {"session_token": "x"})))["error_code"] == 102
    # a CRUD error is 104
    assert envelope(server.post(_rpc("read", {"type": "NoSuchType"})))["error_code"] == 104


def test_non_ascii_and_escaped_bodies(server: Server) -> None:
    escaped = json.dumps(
        _rpc("read", {"type": "Shot", "filters": [["code", "is", "ü漢"]]}), ensure_ascii=True
    )
    raw = json.dumps(_rpc("read", {"type": "Shot", "filters": [["code", "is", "ü漢"]]}), ensure_ascii=False)
    for body in (escaped.encode(), raw.encode()):
        reply = server.post(body)
        assert reply.status_code == 200
        assert reply.json()["results"]["entities"] == []
    reply = server.post(_rpc("read", {"type": "Nöpe"}))
    assert "Nöpe" in envelope(reply)["message"]
    assert "Nöpe".encode() in reply.content  # replies are raw UTF-8


def test_info_without_params_and_with_junk(server: Server) -> None:
    for body in (
        {"method_name": "info"},
        {"method_name": "info", "params": None},
        {"method_name": "info", "params": ["junk", 5]},
    ):
        reply = server.post(body)
        assert reply.status_code == 200
        assert reply.json()["results"]["version"] == [8, 50, 0]


def test_gzip_on_a_large_read(server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": f"g{i}", "project": project}}
            for i in range(60)
        ]
    )
    args = {
        "type": "EventLogEntry",
        "return_fields": ["meta", "event_type", "created_at"],
        "paging": {"entities_per_page": 200, "current_page": 1},
    }
    body = json.dumps(_rpc("read", args)).encode()
    reply = server.http.post(
        "/api3/json",
        content=body,
        headers={"content-type": "application/json", "accept-encoding": "gzip, deflate"},
    )
    assert reply.status_code == 200
    assert reply.headers["content-encoding"] == "gzip"
    assert len(reply.json()["results"]["entities"]) == 200
    # the same request without asking for compression gets plain JSON
    plain = server.http.post(
        "/api3/json",
        content=body,
        headers={"content-type": "application/json", "accept-encoding": "identity"},
    )
    assert "content-encoding" not in plain.headers
    assert plain.json() == reply.json()
    # and the raw stream really is gzip
    with server.http.stream(
        "POST",
        "/api3/json",
        content=body,
        headers={"content-type": "application/json", "accept-encoding": "gzip"},
    ) as streamed:
        raw = b"".join(streamed.iter_raw())
    assert json.loads(gzip.decompress(raw)) == reply.json()


def test_get_is_not_the_rpc(server: Server) -> None:
    assert server.http.get("/api3/json").status_code == 405
    assert server.http.get("/healthz").json()["status"] == "ok"
