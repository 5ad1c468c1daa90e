"""Handshake and authentication through the real client: script keys, passwords, session tokens, sudo."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import shotgun_api3
from sgserver import ADMIN_LOGIN, SCRIPT_NAME, Server, events_after, head_event_id


def test_info_handshake(server: Server, sg: shotgun_api3.Shotgun) -> None:
    info = sg.info()
    assert info["version"] == [8, 50, 0]
    assert all(type(v) is int for v in info["version"])
    assert info["full_version"] == [8, 50, 0, 0]
    assert info["api_max_entities_per_page"] == 500
    assert info["user_authentication_method"] == "default"
    # uploads go to URLs the server gives, in parts above 20 MB (docs/files.md)
    assert info["s3_direct_uploads_enabled"] is True
    assert info["s3_enabled_upload_types"] == {"*": ["*"]}
    assert info["unified_login_flow_enabled"] is False
    assert sg.server_info == info
    assert sg.server_caps.version == (8, 50, 0)
    assert sg.server_caps.is_dev is False
    # info needs no credentials: a client with a dummy token may call it (Toolkit does).
    anonymous = server.client(session_token="dummy", connect=False)
    assert anonymous.info()["version"] == [8, 50, 0]
    raw = server.post({"method_name": "info", "params": []})
    assert raw.status_code == 200
    assert raw.json()["results"]["version"] == [8, 50, 0]


def _whoami(client: shotgun_api3.Shotgun, project: dict[str, Any]) -> dict[str, Any]:
    shot = client.create("Shot", {"code": "who", "project": project}, ["created_by", "updated_by"])
    assert shot["created_by"] == shot["updated_by"]
    return shot["created_by"]


def test_script_credentials(server: Server, project: dict[str, Any]) -> None:
    sg = server.client()
    me = _whoami(sg, project)
    assert me["type"] == "ApiUser"
    assert me["name"] == server.script_name
    script = sg.find_one("ApiUser", [["firstname", "is", server.script_name]], ["id"])
    assert script is not None
    assert me["id"] == script["id"]


def test_user_login_and_password(server: Server, project: dict[str, Any]) -> None:
    human = server.client(login=server.login, password=server.password)
    me = _whoami(human, project)
    admin = human.find_one("HumanUser", [["login", "is", server.login]], ["name", "login"])
    assert admin is not None
    assert me == {"type": "HumanUser", "id": admin["id"], "name": admin["name"]}
    # a second call reuses the verified password and still works
    assert human.find_one("Project", [["id", "is", project["id"]]], ["name"])["name"] == project["name"]


def test_session_token(server: Server, project: dict[str, Any]) -> None:
    human = server.client(login=server.login, password=server.password)
    token = human.get_session_token()
    assert isinstance(token, str)
    assert len(token) >= 32
    by_token = server.client(session_token=token)
    me = _whoami(by_token, project)
    assert me["type"] == "HumanUser"
    assert me["name"] == human.find_one("HumanUser", [["login", "is", server.login]], ["name"])["name"]
    # a script can have a session token as well
    script_token = server.client().get_session_token()
    assert script_token != token
    assert _whoami(server.client(session_token=script_token), project)["type"] == "ApiUser"


@pytest.mark.parametrize(
    "credentials",
    [
        {"script_name": SCRIPT_NAME, "api_key": "wrong"},
        {"script_name": "no_such_script", "api_key": "wrong"},
        {"login": ADMIN_LOGIN, "password": "wrong"},
        {"login": "nobody", "password": "wrong"},
        {"session_token": "0" * 64},
    ],
    ids=["bad-key", "unknown-script", "bad-password", "unknown-login", "bad-token"],
)
def test_bad_credentials_raise_authentication_fault(server: Server, credentials: dict[str, str]) -> None:
    client = server.client(**credentials)
    with pytest.raises(shotgun_api3.AuthenticationFault, match=r"^Authentication failed"):
        client.find("Project", [])


def test_missing_or_malformed_auth_is_error_102(server: Server) -> None:
    for auth in ({}, {"product": "rv"}, {"script_name": 1, "script_key": 2}, {"session_token": None}):
        body = server.call("read", {"type": "Project"}, auth=auth)
        assert body["exception"] is True, auth
        assert body["error_code"] == 102, auth
        assert body["message"].startswith("Authentication failed"), auth


def test_extra_auth_keys_are_ignored(server: Server) -> None:
    auth = {**server.auth(), "product": "rv", "reject_if_expired": True}
    body = server.call("read", {"type": "Project", "return_fields": ["name"]}, auth=auth)
    assert "results" in body, body


def test_disabled_user_cannot_log_in(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    login = f"off-{uniq}"
    user = sg.create("HumanUser", {"login": login, "name": "Off User", "password_proxy": "pw-123456"})
    client = server.client(login=login, password="pw-123456")
    assert client.find_one("HumanUser", [["id", "is", user["id"]]], ["login"])["login"] == login
    sg.update("HumanUser", user["id"], {"sg_status_list": "dis"})
    with pytest.raises(shotgun_api3.AuthenticationFault):
        server.client(login=login, password="pw-123456").find("Project", [])


def _sudo_target(sg: shotgun_api3.Shotgun, uniq: str) -> dict[str, Any]:
    # a Manager: sudo acts with the target's permission set, and the tests make shots as it
    data = {"login": f"sudo-{uniq}", "name": "Sudo Target", "permission_rule_set": "Manager"}
    return sg.create("HumanUser", data, ["login", "name"])


def test_sudo_as_login_from_a_script(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str
) -> None:
    target = _sudo_target(sg, uniq)
    script = sg.find_one("ApiUser", [["firstname", "is", server.script_name]], ["firstname"])
    assert script is not None
    before = head_event_id(sg)
    as_target = server.client(sudo_as_login=target["login"])
    shot = as_target.create("Shot", {"code": "sudo", "project": project}, ["created_by", "updated_by"])
    target_link = {"type": "HumanUser", "id": target["id"], "name": "Sudo Target"}
    assert shot["created_by"] == target_link
    assert shot["updated_by"] == target_link
    as_target.update("Shot", shot["id"], {"description": "by sudo"})
    events = events_after(sg, before, entity={"type": "Shot", "id": shot["id"]})
    assert [e["event_type"] for e in events][:1] == ["Shotgun_Shot_New"]
    assert events[-1]["attribute_name"] == "description"
    for event in events:
        assert event["user"] == target_link
        assert event["meta"]["sudo_actual_user"] == {
            "type": "ApiUser",
            "id": script["id"],
            "name": server.script_name,
        }
    # without sudo, the same script writes as itself and without sudo_actual_user
    before = head_event_id(sg)
    sg.update("Shot", shot["id"], {"description": "by script"})
    (plain,) = events_after(sg, before)
    assert plain["user"] == {"type": "ApiUser", "id": script["id"], "name": server.script_name}
    assert "sudo_actual_user" not in plain["meta"]


def test_sudo_as_unknown_login_fails(server: Server) -> None:
    client = server.client(sudo_as_login=f"nobody-{uuid.uuid4().hex}")
    with pytest.raises(shotgun_api3.Fault):
        client.find("Project", [])


def test_sudo_from_a_human_user_is_refused(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    target = _sudo_target(sg, uniq)
    human = server.client(login=server.login, password=server.password, sudo_as_login=target["login"])
    with pytest.raises(shotgun_api3.Fault) as caught:
        human.find("Project", [])
    assert str(caught.value).startswith("The user does not have permission to 'sudo':")
    assert not isinstance(caught.value, shotgun_api3.AuthenticationFault)


def test_sudo_target_disabled_later_is_refused(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    target = _sudo_target(sg, uniq)
    as_target = server.client(sudo_as_login=target["login"])
    assert as_target.find("Project", [["id", "is", 0]]) == []
    sg.update("HumanUser", target["id"], {"sg_status_list": "dis"})
    with pytest.raises(shotgun_api3.Fault, match="sudo"):
        server.client(sudo_as_login=target["login"]).find("Project", [["id", "is", 0]])


def test_session_uuid_lands_on_events(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    session = str(uuid.uuid4())
    client = server.client()
    client.set_session_uuid(session)
    before = head_event_id(sg)
    shot = client.create("Shot", {"code": "with session", "project": project})
    client.update("Shot", shot["id"], {"code": "renamed"})
    client.delete("Shot", shot["id"])
    events = events_after(sg, before)
    assert len(events) >= 4
    assert {e["session_uuid"] for e in events} == {session}
    # another client without a session uuid writes null
    before = head_event_id(sg)
    sg.create("Shot", {"code": "no session", "project": project})
    assert {e["session_uuid"] for e in events_after(sg, before)} == {None}
    # filtering on session_uuid works
    found = sg.find("EventLogEntry", [["session_uuid", "is", session]], ["event_type"])
    assert found[0]["event_type"] == "Shotgun_Shot_New"
    assert found[-1]["event_type"] == "Shotgun_Shot_Retirement"


def test_password_change_takes_effect_at_once(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    login = f"pw-{uniq}"
    user = sg.create("HumanUser", {"login": login, "name": "Pass Word", "password_proxy": "first-pass-1"})
    assert server.client(login=login, password="first-pass-1").find_one("HumanUser", [["login", "is", login]])
    read = sg.find_one("HumanUser", [["id", "is", user["id"]]], ["password_proxy"])
    assert read["password_proxy"] != "first-pass-1"  # never read back in clear
    sg.update("HumanUser", user["id"], {"password_proxy": "second-pass-2"})
    with pytest.raises(shotgun_api3.AuthenticationFault):
        server.client(login=login, password="first-pass-1").find("Project", [])
    assert server.client(login=login, password="second-pass-2").find("Project", [["id", "is", 0]]) == []


def test_base_url_forms(server: Server) -> None:
    """The client posts to /api3/json for 'http://host/' as for 'http://host'."""
    for url in (server.url + "/", server.url + "/ignored-prefix"):
        client = shotgun_api3.Shotgun(url, script_name=server.script_name, api_key=server.script_key)
        try:
            assert client.find("Project", [["id", "is", 0]]) == []
        finally:
            client.close()


def test_session_token_of_a_disabled_or_retired_user_stops_working(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    tokens = {}
    users = {}
    for state in ("disabled", "retired"):
        login = f"tok-{state}-{uniq}"
        users[state] = sg.create(
            "HumanUser", {"login": login, "name": "Token User", "password_proxy": "tok-pass-1"}
        )
        tokens[state] = server.client(login=login, password="tok-pass-1").get_session_token()
        assert server.client(session_token=tokens[state]).find("Project", [["id", "is", 0]]) == []
    sg.update("HumanUser", users["disabled"]["id"], {"sg_status_list": "dis"})
    sg.delete("HumanUser", users["retired"]["id"])
    for state in ("disabled", "retired"):
        with pytest.raises(shotgun_api3.AuthenticationFault):
            server.client(session_token=tokens[state]).find("Project", [["id", "is", 0]])
