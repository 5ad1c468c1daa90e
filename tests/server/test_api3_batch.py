"""batch(): results in request order, and all-or-nothing with the events."""

from __future__ import annotations

from typing import Any

import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

ROLLED_BACK = "API batch() request with index 1 failed.  All requests rolled back."


def test_batch_results_in_order(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    doomed = sg.create("Shot", {"code": "doomed", "project": project})
    before = head_event_id(sg)
    results = sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": "b1", "project": project}},
            {
                "request_type": "update",
                "entity_type": "Shot",
                "entity_id": doomed["id"],
                "data": {"description": "changed"},
            },
            {"request_type": "delete", "entity_type": "Shot", "entity_id": doomed["id"]},
            {
                "request_type": "create",
                "entity_type": "Shot",
                "data": {"code": "b2", "project": project},
                "return_fields": ["sg_status_list"],
            },
        ]
    )
    assert results[0]["code"] == "b1"
    assert results[1] == {"type": "Shot", "id": doomed["id"], "description": "changed"}
    assert results[2] is True
    assert results[3]["sg_status_list"] == "wtg"
    types = [e["event_type"] for e in events_after(sg, before)]
    assert types[0] == "Shotgun_Shot_New"
    assert types.index("Shotgun_Shot_Retirement") > types.index("Shotgun_Shot_Change")
    assert types.count("Shotgun_Shot_New") == 2
    # events come in request order: the second New follows the retirement
    assert types.index("Shotgun_Shot_Retirement") < len(types) - 1 - types[::-1].index("Shotgun_Shot_New")


@pytest.mark.parametrize(
    "bad",
    [
        {"request_type": "create", "entity_type": "Shot", "data": {"no_such_field": 1}},
        {"request_type": "create", "entity_type": "NoSuchType", "data": {"code": "x"}},
        {"request_type": "update", "entity_type": "Shot", "entity_id": 987654321, "data": {"code": "x"}},
        {"request_type": "delete", "entity_type": "Shot", "entity_id": 987654321},
        {"request_type": "create", "entity_type": "Shot", "data": {"sg_cut_duration": "long"}},
        {"request_type": "create", "entity_type": "EventLogEntry", "data": {"event_type": 5}},
    ],
    ids=["unknown-field", "unknown-type", "update-missing", "delete-missing", "bad-value", "bad-event"],
)
def test_failed_batch_rolls_everything_back(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str, bad: dict[str, Any]
) -> None:
    before = head_event_id(sg)
    mark = server.log_mark()
    first = {"request_type": "create", "entity_type": "Shot", "data": {"code": uniq, "project": project}}
    with pytest.raises(shotgun_api3.Fault) as caught:
        sg.batch([first, bad, first])
    message = str(caught.value)
    assert message.startswith(ROLLED_BACK), message
    kind = bad["request_type"]
    assert message.split("\n")[1].startswith(f"API {kind}() CRUD ERROR #"), message
    assert sg.find("Shot", [["code", "is", uniq]]) == []
    assert sg.find("Shot", [["code", "is", uniq]], retired_only=True) == []
    assert head_event_id(sg) == before
    assert events_after(sg, before) == []
    assert "Traceback" not in server.log_since(mark)


def test_failed_batch_leaves_earlier_updates_untouched(
    sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    shot = sg.create("Shot", {"code": "keep", "project": project})
    before = head_event_id(sg)
    with pytest.raises(shotgun_api3.Fault, match=r"^API batch\(\) request with index 1 failed\."):
        sg.batch(
            [
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": shot["id"],
                    "data": {"code": "lost"},
                },
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": shot["id"],
                    "data": {"nope": 1},
                },
            ]
        )
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["code"])["code"] == "keep"
    assert head_event_id(sg) == before


def test_malformed_batch_requests(server: Server) -> None:
    for requests, message in [
        (
            [{"request_type": "create", "type": "Shot", "fields": [{"field_name": "code", "value": "a"}]}, 5],
            "index 1",
        ),
        ([{"request_type": "explode", "type": "Shot"}], "index 0"),
        ([{"request_type": "create", "type": "Shot", "fields": "code"}], "index 0"),
        ([{"request_type": "create", "type": "Shot", "fields": [], "return_fields": "code"}], "index 0"),
        ({"request_type": "create"}, "list"),
    ]:
        body = server.call("batch", requests)
        assert body["exception"] is True, requests
        assert message in body["message"], body


def test_legacy_request_level_update_mode(
    sg: shotgun_api3.Shotgun, server: Server, project: dict[str, Any]
) -> None:
    shots = [sg.create("Shot", {"code": f"l{i}", "project": project}) for i in range(2)]
    playlist = sg.create("Playlist", {"code": "pl", "project": project})
    version = sg.create("Version", {"code": "v", "project": project, "entity": shots[0]})
    body = server.call(
        "batch",
        [
            {
                "request_type": "update",
                "type": "Playlist",
                "id": playlist["id"],
                "fields": [{"field_name": "versions", "value": [{"type": "Version", "id": version["id"]}]}],
                "multi_entity_update_mode": "add",
            }
        ],
    )
    assert body["results"][0]["versions"][0]["id"] == version["id"]
