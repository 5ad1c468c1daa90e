"""Fuzzing POST /api3/json with raw httpx: whatever arrives, the reply is HTTP 200 and JSON.

Every reply must be ``{"results": ...}`` or the error envelope; an internal-error envelope or a
traceback in the server's output means a server bug (input errors are the caller's, and are
answered with a message, not logged as crashes). The fuzzer gets a server and database of its own,
so random writes cannot disturb the other tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sgserver import Server

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

METHODS = [
    "info",
    "read",
    "create",
    "update",
    "delete",
    "revive",
    "batch",
    "summarize",
    "schema_read",
    "schema_entity_read",
    "schema_field_read",
    "schema_field_create",
    "schema_field_update",
    "schema_field_delete",
    "schema_entity_create",
    "get_session_token",
    "query_display_name_cache",
    "follow",
    "unfollow",
    "followers",
    "following",
    "update_project_last_accessed_by_current_user",
    "preferences_read",
    "user_subscriptions_read",
    "activity_stream",
    "note_thread_contents",
]
#: types the fuzzer may write to: not the users, so it cannot lock itself out
TYPES = [
    "Shot",
    "Asset",
    "Project",
    "Task",
    "Version",
    "Sequence",
    "Note",
    "EventLogEntry",
    "Tag",
    "Nope",
    "",
]
FIELDS = [
    "id",
    "code",
    "name",
    "project",
    "sg_status_list",
    "sg_cut_duration",
    "created_at",
    "entity",
    "tasks",
    "task_assignees",
    "meta",
    "image",
    "tag_list",
    "due_date",
    "sg_sequence.Sequence.code",
    "entity.Shot.code",
    "password_proxy",
    "nope",
]
RELATIONS = [
    "is",
    "is_not",
    "in",
    "not_in",
    "less_than",
    "greater_than",
    "between",
    "not_between",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "in_last",
    "not_in_last",
    "in_next",
    "in_calendar_day",
    "in_calendar_month",
    "type_is",
    "name_contains",
    "name_is",
    "attachment",
]

text = st.text(st.characters(exclude_categories=()), max_size=12)
#: integers for ids, counts and pages: small ones, the 64-bit edges and just beyond them
integers = st.sampled_from(
    [1, 2, 3, 0, -1, 2**31, 2**53 + 1, 2**62, 2**63 - 1, -(2**63), 99999999999, 2**63, -(2**63) - 1, 10**30]
) | st.integers(-3, 30)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    text,
    st.sampled_from(FIELDS + TYPES),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(text, st.sampled_from(FIELDS)), children, max_size=4),
    ),
    max_leaves=20,
)
links = st.fixed_dictionaries({"type": st.sampled_from(TYPES), "id": integers}) | json_values
condition = st.one_of(
    st.lists(st.one_of(st.sampled_from(FIELDS), st.sampled_from(RELATIONS), json_values, links), max_size=5),
    st.fixed_dictionaries(
        {
            "path": st.sampled_from(FIELDS),
            "relation": st.sampled_from(RELATIONS),
            "values": st.lists(json_values, max_size=3),
        }
    ),
)
filters = st.recursive(
    st.lists(condition, max_size=3),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {"filter_operator": st.sampled_from(["any", "all", "xor", 5]), "filters": inner}
        ),
        st.fixed_dictionaries({"logical_operator": st.sampled_from(["and", "or", "x"]), "conditions": inner}),
        st.lists(inner, max_size=2),
    ),
    max_leaves=8,
)
field_values = st.lists(
    st.fixed_dictionaries(
        {"field_name": st.sampled_from(FIELDS), "value": st.one_of(json_values, links)},
        optional={"multi_entity_update_mode": st.sampled_from(["set", "add", "remove", "x", 5])},
    ),
    max_size=4,
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Pick a strategy with the given weights (st.one_of's choice of branch is far from uniform)."""
    slots = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(slots))).flatmap(lambda i: slots[i])


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a well-formed value, sometimes any JSON at all."""
    return weighted((4, valid), (1, json_values))


types = mostly(st.sampled_from(TYPES))
ids = mostly(integers)
return_fields = mostly(st.lists(st.sampled_from(FIELDS), max_size=4))
paging = mostly(st.fixed_dictionaries({"entities_per_page": integers, "current_page": integers}))
sorts = mostly(
    st.lists(
        st.fixed_dictionaries(
            {"field_name": st.sampled_from(FIELDS), "direction": st.sampled_from(["asc", "desc", "x"])}
        ),
        max_size=2,
    )
)
summaries = mostly(
    st.lists(
        st.fixed_dictionaries(
            {"field": st.sampled_from(FIELDS), "type": st.sampled_from(["count", "sum", "maximum", "x"])}
        ),
        max_size=2,
    )
)
grouping = mostly(
    st.lists(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(FIELDS),
                "type": st.sampled_from(["exact", "tens", "day", "x"]),
                "direction": st.sampled_from(["asc", "desc", 5]),
            }
        ),
        max_size=2,
    )
)
properties = mostly(
    st.lists(
        st.fixed_dictionaries(
            {
                "property_name": st.sampled_from(["name", "description", "valid_types", "valid_values", "x"]),
                "value": json_values,
            }
        ),
        max_size=3,
    )
)
batch_requests = st.lists(
    st.fixed_dictionaries(
        {"request_type": st.sampled_from(["create", "update", "delete", "revive", "x"]), "type": types},
        optional={"id": ids, "fields": mostly(field_values), "return_fields": return_fields},
    ),
    max_size=3,
)


def method_args(method: str) -> st.SearchStrategy[Any]:
    """Arguments shaped for ``method``, with junk mixed in at every level."""
    always: dict[str, st.SearchStrategy[Any]] = {"type": types}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    if method == "read":
        optional = {
            "return_fields": return_fields,
            "filters": mostly(filters),
            "paging": paging,
            "sorts": sorts,
            "return_only": mostly(st.sampled_from(["active", "retired"])),
            "include_archived_projects": json_values,
            "return_paging_info": json_values,
            "additional_filter_presets": json_values,
        }
    elif method == "create":
        always |= {"fields": mostly(field_values)}
        optional = {"return_fields": return_fields}
    elif method == "update":
        always |= {"id": ids, "fields": mostly(field_values)}
    elif method in ("delete", "revive"):
        always |= {"id": ids}
    elif method == "batch":
        return mostly(batch_requests)
    elif method == "summarize":
        always |= {"summaries": summaries}
        optional = {
            "filters": mostly(filters),
            "grouping": grouping,
            "include_archived_projects": json_values,
        }
    elif method.startswith("schema_field"):
        optional = {
            "field_name": mostly(st.sampled_from(FIELDS)),
            "data_type": mostly(st.sampled_from(["text", "number", "entity", "summary", "x"])),
            "properties": properties,
            "project": links,
        }
    elif method == "schema_entity_create":
        optional = {"properties": properties}
    elif method in ("follow", "unfollow", "followers", "following"):
        always = {"user": links, "entity": links}
        optional = {"project": links, "entity_type": types}
    elif method == "query_display_name_cache":
        always = {
            "text": mostly(text),
            "entity_types": mostly(st.dictionaries(st.sampled_from(TYPES), filters, max_size=2)),
        }
        optional = {"project_ids": mostly(st.lists(integers, max_size=2)), "max_results": mostly(integers)}
    elif method == "update_project_last_accessed_by_current_user":
        always = {"project_id": ids}
    else:
        optional = {"project": links}
    return mostly(st.fixed_dictionaries(always, optional=optional))


@pytest.fixture(scope="module")
def fuzz_server(start_server: Callable[..., Server]) -> Server:
    return start_server()


def auths(server: Server) -> st.SearchStrategy[Any]:
    """Mostly the server's script key (so the arguments get looked at), sometimes anything."""
    good = st.just(server.auth())
    extras = st.dictionaries(
        st.sampled_from(["sudo_as_login", "session_uuid", "product", "reject_if_expired"]),
        st.one_of(st.sampled_from([server.login, "nobody", ""]), json_values),
        max_size=2,
    )
    return weighted(
        (12, good),
        (2, good.map(lambda a: {**a, "session_uuid": "3e0e2d4a-0b5f-4a57-9c38-5e0e8a4c3d11"})),
        (2, st.builds(lambda extra, a: {**a, **extra}, extras, good)),
        (
            1,
            st.fixed_dictionaries(
                {"user_login": st.just(server.login) | json_values, "user_password": json_values}
            ),
        ),
        (1, st.fixed_dictionaries({"session_token": json_values})),
        (1, json_values),
    )


def check_reply(server: Server, reply: Any) -> None:
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert isinstance(body, dict), body
    if "results" in body:
        assert set(body) == {"results"}, body
        return
    assert set(body) == {"exception", "message", "error_code"}, body
    assert body["exception"] is True
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["error_code"], int)
    assert "internal error" not in body["message"], body
    assert "could not be decoded" not in body["message"], body


def dump(value: Any) -> bytes:
    """JSON as a careless client might send it: raw UTF-8 when possible, escapes otherwise."""
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # lone surrogates: valid JSON only when escaped
        return json.dumps(value).encode()


def test_fuzz_raw_bodies(fuzz_server: Server) -> None:
    mark = fuzz_server.log_mark()

    @FUZZ
    @given(
        st.one_of(
            st.binary(max_size=200),
            text.map(lambda t: t.encode("utf-8", "surrogatepass")),  # lone surrogates: bad UTF-8
            json_values.map(dump),
            st.sampled_from(
                [b"{", b"[" * 5000, b'{"method_name": "read", "params": ' + b"[" * 3000, b"NaN", b"\x00"]
            ),
        )
    )
    def run(body: bytes) -> None:
        check_reply(fuzz_server, fuzz_server.post(body))

    run()
    assert fuzz_server.alive()
    assert "Traceback" not in fuzz_server.log_since(mark)


def test_fuzz_envelopes(fuzz_server: Server) -> None:
    mark = fuzz_server.log_mark()

    @FUZZ
    @given(
        method=st.one_of(st.sampled_from(METHODS), text, json_values),
        params=st.one_of(
            st.tuples(auths(fuzz_server), json_values).map(list),
            st.lists(json_values, max_size=3),
            json_values,
        ),
        drop=st.sampled_from([None, "method_name", "params"]),
    )
    def run(method: Any, params: Any, drop: str | None) -> None:
        body = {"method_name": method, "params": params}
        if drop:
            del body[drop]
        check_reply(fuzz_server, fuzz_server.post(dump(body)))

    run()
    assert fuzz_server.alive()
    assert "Traceback" not in fuzz_server.log_since(mark)


def test_fuzz_method_arguments(fuzz_server: Server) -> None:
    mark = fuzz_server.log_mark()

    @settings(FUZZ, max_examples=250)
    @given(
        st.sampled_from(METHODS).flatmap(lambda m: st.tuples(st.just(m), auths(fuzz_server), method_args(m)))
    )
    def run(call: tuple[str, Any, Any]) -> None:
        method, auth, arguments = call
        body = {"method_name": method, "params": [auth, arguments]}
        check_reply(fuzz_server, fuzz_server.post(dump(body)))

    run()
    assert fuzz_server.alive()
    assert "Traceback" not in fuzz_server.log_since(mark)
