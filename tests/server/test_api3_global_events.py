"""FPTR's global events of api3 operations, read back through the real client: sign-ins through
user/password and session tokens, failed sign-ins, and schema changes (DisplayColumn events)."""

from __future__ import annotations

import uuid
import zlib
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

PASSWORD = "a long enough password"


def _person(sg: shotgun_api3.Shotgun) -> dict[str, Any]:
    login = f"gl{uuid.uuid4().hex[:10]}"
    return sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Glo",
            "lastname": login,
            "password_proxy": PASSWORD,
            "sg_status_list": "act",
        },
        ["login", "name"],
    )


def _mine(events: list[dict[str, Any]], person: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in events if (e["meta"] or {}).get("login") == person["login"]]


def _system_script(sg: shotgun_api3.Shotgun) -> dict[str, Any]:
    found = sg.find_one("ApiUser", [["firstname", "is", "shotlog"]], ["firstname"])
    assert found is not None
    return {"type": "ApiUser", "id": found["id"], "name": "shotlog"}


def _login_event(person: dict[str, Any], auth: str, **more: str) -> dict[str, Any]:
    link = {"type": "HumanUser", "id": person["id"], "name": person["name"]}
    return {
        "event_type": "Shotgun_User_Login",
        "attribute_name": None,
        "entity": link,
        "user": link,
        "project": None,
        "session_uuid": None,
        "meta": {"type": "login", "source": "api3", "login": person["login"], "auth": auth, **more},
        "description": f"{person['name']} logged in (api3)",
    }


def _shape(event: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "event_type",
        "attribute_name",
        "entity",
        "user",
        "project",
        "session_uuid",
        "meta",
        "description",
    )
    return {k: event[k] for k in keys}


def test_a_password_client_logs_in_once_per_session(server: Server, sg: shotgun_api3.Shotgun) -> None:
    person = _person(sg)
    head = head_event_id(sg)
    client = server.client(login=person["login"], password=PASSWORD)
    for _ in range(3):
        assert (
            client.find_one("HumanUser", [["id", "is", person["id"]]], ["login"])["login"] == person["login"]
        )
    logins = _mine(events_after(sg, head, event_type="Shotgun_User_Login"), person)
    assert [_shape(e) for e in logins] == [_login_event(person, "password")]


def test_get_session_token_starts_a_session_and_the_token_continues_it(
    server: Server, sg: shotgun_api3.Shotgun
) -> None:
    person = _person(sg)
    head = head_event_id(sg)
    client = server.client(login=person["login"], password=PASSWORD)
    token = client.get_session_token()
    by_token = server.client(session_token=token)
    assert by_token.find_one("HumanUser", [["id", "is", person["id"]]], ["login"])["login"] == person["login"]
    # the password client carries on inside the session its token started: no second login
    assert client.find_one("HumanUser", [["id", "is", person["id"]]], ["id"]) is not None
    logins = _mine(events_after(sg, head, event_type="Shotgun_User_Login"), person)
    # named by the credential given, the password; the session token is what it minted
    assert [_shape(e) for e in logins] == [_login_event(person, "password", issued="session_token")]
    # each token minted is a session of its own (the client keeps its token: mint with another one)
    server.client(login=person["login"], password=PASSWORD).get_session_token()
    logins = _mine(events_after(sg, head, event_type="Shotgun_User_Login"), person)
    assert [e["meta"]["issued"] for e in logins] == ["session_token", "session_token"]


def test_a_wrong_password_writes_a_failed_login(server: Server, sg: shotgun_api3.Shotgun) -> None:
    person = _person(sg)
    head = head_event_id(sg)
    wrong = server.client(login=person["login"], password="not the password", connect=False)
    with pytest.raises(shotgun_api3.AuthenticationFault, match="wrong login or password"):
        wrong.find_one("Project", [])
    failed = _mine(events_after(sg, head, event_type="Shotgun_User_FailedLogin"), person)
    assert [_shape(e) for e in failed] == [
        {
            "event_type": "Shotgun_User_FailedLogin",
            "attribute_name": None,
            "entity": None,
            "user": _system_script(sg),
            "project": None,
            "session_uuid": None,
            "meta": {
                "type": "failedlogin",
                "source": "api3",
                "login": person["login"],
                "auth": "password",
                "address": "127.0.0.1",
            },
            "description": f"Failed api3 login for {person['login']!r}",
        }
    ]
    assert _mine(events_after(sg, head, event_type="Shotgun_User_Login"), person) == []


def test_scripts_and_bad_tokens_write_no_sign_in(server: Server, sg: shotgun_api3.Shotgun) -> None:
    head = head_event_id(sg)
    expired = server.client(session_token="0" * 64, connect=False)
    with pytest.raises(shotgun_api3.AuthenticationFault):
        expired.find_one("Project", [])
    sg.find_one("Project", [])
    # a positive signal that the log is current: an event of this test after both calls
    marker = sg.create("EventLogEntry", {"event_type": "GlobalEvents_Test_Marker", "description": "m"})
    after = events_after(sg, head)
    assert after[-1]["id"] == marker["id"]
    assert [e for e in after if e["event_type"].startswith("Shotgun_User_")] == []


def _column(entity_type: str, field: str) -> int:
    return zlib.crc32(f"{entity_type}.{field}".encode()) & 0x7FFFFFFF


def test_schema_changes_write_display_column_events(sg: shotgun_api3.Shotgun, uniq: str) -> None:
    me = _system_or_script(sg)
    head = head_event_id(sg)
    display = f"Glob {uniq[-8:]}"
    name = sg.schema_field_create("Shot", "list", display, {"valid_values": ["a", "b"]})
    column = _column("Shot", name)
    sg.schema_field_update("Shot", name, {"name": f"{display} 2", "valid_values": ["a", "b", "c"]})
    sg.schema_field_delete("Shot", name)
    events = [e for e in events_after(sg, head) if (e["meta"] or {}).get("entity_id") == column]
    props = {"default_value": None, "summary_default": "none", "valid_values": ["a", "b"]}
    change = {"type": "attribute_change", "entity_type": "DisplayColumn", "entity_id": column}
    expected = [
        (
            "Shotgun_DisplayColumn_New",
            None,
            {"type": "new_entity", "entity_type": "DisplayColumn", "entity_id": column},
        ),
        *(
            (
                "Shotgun_DisplayColumn_Change",
                attr,
                {
                    **change,
                    "attribute_name": attr,
                    "field_data_type": kind,
                    "old_value": None,
                    "new_value": value,
                    "in_create": True,
                },
            )
            for attr, kind, value in (
                ("name", "text", name),
                ("human_name", "text", display),
                ("entity_type", "entity_type", "Shot"),
                ("data_type", "text", "list"),
                ("properties", "serializable", {"data_type_properties": props}),
            )
        ),
        (
            "Shotgun_DisplayColumn_Change",
            "human_name",
            {
                **change,
                "attribute_name": "human_name",
                "field_data_type": "text",
                "old_value": display,
                "new_value": f"{display} 2",
            },
        ),
        (
            "Shotgun_DisplayColumn_Change",
            "properties",
            {
                **change,
                "attribute_name": "properties",
                "field_data_type": "serializable",
                "old_value": {"data_type_properties": props},
                "new_value": {"data_type_properties": {**props, "valid_values": ["a", "b", "c"]}},
            },
        ),
    ]
    got = [(e["event_type"], e["attribute_name"], e["meta"]) for e in events]
    assert got[: len(expected)] == expected
    retired_change, retirement = events[len(expected) :]
    stamp = retirement["meta"]["retirement_date"]
    assert retired_change["event_type"] == "Shotgun_DisplayColumn_Change"
    assert retired_change["meta"] == {
        **change,
        "attribute_name": "retirement_date",
        "field_data_type": "date_time",
        "old_value": None,
        "new_value": stamp,
    }
    assert retirement["event_type"] == "Shotgun_DisplayColumn_Retirement"
    assert retirement["attribute_name"] is None
    assert retirement["meta"] == {
        "type": "entity_retirement",
        "entity_type": "DisplayColumn",
        "entity_id": column,
        "id": column,
        "class_name": "DisplayColumn",
        "display_name": name,
        "retirement_date": stamp,
    }
    for e in events:
        # shotlog has no DisplayColumn rows to link to: the link reads null, as a retired one does
        assert (e["entity"], e["project"], e["user"]) == (None, None, me)


def _system_or_script(sg: shotgun_api3.Shotgun) -> dict[str, Any]:
    script = sg.find_one("ApiUser", [["firstname", "is", sg.config.script_name]], ["firstname"])
    assert script is not None
    return {"type": "ApiUser", "id": script["id"], "name": sg.config.script_name}


def test_a_refused_schema_change_writes_no_event(sg: shotgun_api3.Shotgun) -> None:
    head = head_event_id(sg)
    with pytest.raises(shotgun_api3.Fault, match=r"Shot\.code is a built-in field"):
        sg.schema_field_delete("Shot", "code")
    marker = sg.create("EventLogEntry", {"event_type": "GlobalEvents_Test_Marker", "description": "m"})
    assert [e["id"] for e in events_after(sg, head)] == [marker["id"]]
