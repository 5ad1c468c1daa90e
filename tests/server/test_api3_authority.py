"""Who may change users and permission sets, and who may write shotlog's own event types.

Attacks of issue 22 replayed through the public interfaces of a real ``shotlog serve``: the
official client (passwords, session tokens, sudo, batches) and the REST API. Each refusal must
name the field and value, and leave the data and the event log as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

import shotlog
from shotlog.access.authority import Authority, event_type_refusal, may_administer_users, user_write_refusal
from shotlog.accounts.credentials import Credentials
from shotlog.connection import Shotlog

PASSWORD = "artist-pass-0001"


@pytest.fixture
def admin_store(server: Server) -> Iterator[Shotlog]:
    """The server's database opened by this process, as an administrator's ``shotlog`` would."""
    store = shotlog.connect(server.db_url, migrate=False)
    yield store
    store.close()


def _person(sg: shotgun_api3.Shotgun, uniq: str, rules: str = "Artist") -> dict[str, Any]:
    return sg.create(
        "HumanUser",
        {
            "login": f"{rules.lower()}-{uniq}",
            "firstname": rules,
            "lastname": uniq,
            "password_proxy": PASSWORD,
            "permission_rule_set": rules,
        },
        ["login", "permission_rule_set"],
    )


def _admin(sg: shotgun_api3.Shotgun, server: Server) -> dict[str, Any]:
    found = sg.find_one("HumanUser", [["login", "is", server.login]], ["id", "permission_rule_set"])
    assert found is not None and found["permission_rule_set"]["name"] == "Admin"
    return found


def _signs_in(server: Server, login: str, password: str) -> bool:
    try:
        server.client(login=login, password=password).find("Project", [["id", "is", 0]])
    except shotgun_api3.AuthenticationFault:
        return False
    return True


def _user_changes(sg: shotgun_api3.Shotgun, after: int, user_id: int) -> list[dict[str, Any]]:
    return [
        e
        for e in events_after(sg, after, event_type="Shotgun_HumanUser_Change")
        if e["entity"] and e["entity"]["id"] == user_id
    ]


def _rest_token(server: Server, login: str, password: str) -> str:
    reply = server.http.post(
        "/api/v1/auth/access_token", data={"grant_type": "password", "username": login, "password": password}
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


# -- the decision itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "rules", "allowed"),
    [
        ("HumanUser", "Admin", True),
        ("HumanUser", "Manager", False),
        ("HumanUser", "Artist", False),
        ("HumanUser", "API Admin", False),  # a script's group name gives a person nothing
        ("HumanUser", None, False),
        ("ApiUser", "API Admin", True),
        ("ApiUser", "Admin", True),
        ("ApiUser", "API User", False),
        ("ApiUser", None, False),
    ],
)
def test_who_administers_users(kind: str, rules: str | None, allowed: bool) -> None:
    who = Authority(kind, 5, rules)
    assert may_administer_users(who) is allowed
    refused = user_write_refusal(who, "HumanUser", 9, {"password_proxy": "x", "firstname": "y"})
    assert (refused is None) is allowed
    own_password = user_write_refusal(who, kind, 5, {"password_proxy": "x"})
    assert own_password is None  # everyone may change their own password


def test_permission_sets_and_event_types_decided_purely() -> None:
    artist = Authority("HumanUser", 5, "Artist")
    refusal = user_write_refusal(artist, "HumanUser", 5, {"firstname": "A", "permission_rule_set": "Admin"})
    assert refusal is not None and refusal.field == "permission_rule_set" and "'Admin'" in refusal.message
    secret = user_write_refusal(artist, "HumanUser", 6, {"password_proxy": "hunter2-secret"})
    assert secret is not None and "hunter2-secret" not in secret.message
    assert user_write_refusal(artist, "Shot", 5, {"permission_rule_set": "x"}) is None
    new_script = user_write_refusal(artist, "ApiUser", None, {"permission_rule_set": "API Admin"})
    assert new_script is not None and "a new ApiUser" in new_script.message
    for forged in ("Shotgun_Shot_Change", "Shotgun_User_Login", "ClientUser_Login", "CRS_Preferences_Change"):
        reason = event_type_refusal(Authority("ApiUser", 1, "API Admin"), forged)
        assert reason is not None and repr(forged) in reason
        assert event_type_refusal(artist, forged, builtin=True) is None
    for custom in ("Toolkit_App_Startup", "tkMultiEventApp_event_new", "shotgun_lowercase_is_custom"):
        assert event_type_refusal(artist, custom) is None


# -- account takeover -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["password", "session_token", "sudo", "batch", "rest"])
def test_nobody_sets_the_admins_password_without_the_permission(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str, path: str
) -> None:
    artist = _person(sg, uniq)
    admin = _admin(sg, server)
    head = head_event_id(sg)
    new = f"taken-over-{uniq}"
    attempt: Callable[[], Any]
    if path == "rest":
        token = _rest_token(server, artist["login"], PASSWORD)
        reply = server.http.put(
            f"/api/v1/entity/human_users/{admin['id']}",
            json={"password_proxy": new},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 403, reply.text
        assert reply.headers["content-type"] == "application/json"
        (error,) = reply.json()["errors"]
        assert error["status"] == 403 and error["source"] == {"field": "password_proxy"}
        assert "HumanUser.password_proxy" in error["title"] and new not in error["title"]
    else:
        if path == "session_token":
            client = server.client(
                session_token=server.client(login=artist["login"], password=PASSWORD).get_session_token()
            )
        elif path == "sudo":
            client = server.client(sudo_as_login=artist["login"])  # a script acting as the artist
        else:
            client = server.client(login=artist["login"], password=PASSWORD)
        if path == "batch":
            shot_code = f"batch-{uniq}"
            requests = [  # a Version: what an artist may create, rolled back with the refusal
                {"request_type": "create", "entity_type": "Version", "data": {"code": shot_code}},
                {
                    "request_type": "update",
                    "entity_type": "HumanUser",
                    "entity_id": admin["id"],
                    "data": {"password_proxy": new},
                },
            ]
            attempt = lambda: client.batch(requests)  # noqa: E731
        else:
            attempt = lambda: client.update("HumanUser", admin["id"], {"password_proxy": new})  # noqa: E731
        with pytest.raises(shotgun_api3.Fault) as caught:
            attempt()
        message = str(caught.value)
        assert f"HumanUser.password_proxy: setting the password of HumanUser {admin['id']}" in message
        assert "needs the permission to administer users" in message and new not in message
        if path == "batch":  # the whole batch was refused
            assert sg.find("Version", [["code", "is", shot_code]]) == []
    assert not _signs_in(server, server.login, new)
    assert _signs_in(server, server.login, server.password)
    assert _user_changes(sg, head, admin["id"]) == []


def test_an_artist_cannot_raise_its_own_permission_set(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    artist = _person(sg, uniq)
    client = server.client(login=artist["login"], password=PASSWORD)
    head = head_event_id(sg)
    with pytest.raises(shotgun_api3.Fault) as caught:
        client.update("HumanUser", artist["id"], {"permission_rule_set": "Admin", "firstname": "Raised"})
    assert (
        "HumanUser.permission_rule_set: changing your own permission set to 'Admin' needs the permission "
        f"to administer users (HumanUser 'Admin', ApiUser 'API Admin' or 'Admin'); HumanUser {artist['id']} "
        "with permission set Artist does not have it"
    ) in str(caught.value)
    with pytest.raises(
        shotgun_api3.Fault, match="changing your own permission set to PermissionRuleSet 999999 "
    ):
        client.update(
            "HumanUser", artist["id"], {"permission_rule_set": {"type": "PermissionRuleSet", "id": 999999}}
        )
    assert sg.find_one("HumanUser", [["id", "is", artist["id"]]], ["permission_rule_set", "firstname"]) == {
        "type": "HumanUser",
        "id": artist["id"],
        "permission_rule_set": {"type": "PermissionRuleSet", "id": ANY, "name": "Artist"},
        "firstname": "Artist",
    }
    assert _user_changes(sg, head, artist["id"]) == []
    # an update that names the set it already has changes no permission, and goes through
    client.update("HumanUser", artist["id"], {"permission_rule_set": "Artist", "firstname": "Same"})
    # nor may a Manager, which manages webhooks but not people, lower an Artist or raise itself
    manager = _person(sg, f"m-{uniq}", "Manager")
    as_manager = server.client(login=manager["login"], password=PASSWORD)
    for target, value in ((artist["id"], "Manager"), (manager["id"], "Admin")):
        with pytest.raises(shotgun_api3.Fault, match=r"HumanUser\.permission_rule_set"):
            as_manager.update("HumanUser", target, {"permission_rule_set": value})
    with pytest.raises(shotgun_api3.Fault, match=r"the password of HumanUser \d+"):
        as_manager.update("HumanUser", artist["id"], {"password_proxy": "managed-9999"})


def test_people_change_their_own_password(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    artist = _person(sg, uniq)
    client = server.client(login=artist["login"], password=PASSWORD)
    client.update("HumanUser", artist["id"], {"password_proxy": "my-own-new-pass"})
    assert _signs_in(server, artist["login"], "my-own-new-pass")
    assert not _signs_in(server, artist["login"], PASSWORD)


def test_an_artist_cannot_make_users(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    artist = _person(sg, uniq)
    client = server.client(login=artist["login"], password=PASSWORD)
    login = f"made-{uniq}"
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("HumanUser", {"login": login, "password_proxy": "known-0001"}, "the password of a new HumanUser"),
        ("HumanUser", {"login": login, "permission_rule_set": "Admin"}, "a new HumanUser to 'Admin'"),
        # no set given: the field's default is set, and that too is someone's permission set
        ("HumanUser", {"login": login}, "a new HumanUser to 'Artist'"),
        ("ApiUser", {"firstname": login}, "a new ApiUser to 'API Admin'"),
    ]
    for entity_type, data, said in cases:
        with pytest.raises(shotgun_api3.Fault) as caught:
            client.create(entity_type, data)
        assert said in str(caught.value), str(caught.value)
    assert sg.find("HumanUser", [["login", "is", login]]) == []
    assert sg.find("ApiUser", [["firstname", "is", login]]) == []


def test_administrators_set_passwords_and_permission_sets(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    artist = _person(sg, uniq)
    as_admin = server.client(login=server.login, password=server.password)
    as_admin.update(
        "HumanUser", artist["id"], {"password_proxy": "set-by-admin", "permission_rule_set": "Manager"}
    )
    assert _signs_in(server, artist["login"], "set-by-admin")
    # and the script (API Admin, the default for scripts) made the artist in the first place
    row = sg.find_one("HumanUser", [["id", "is", artist["id"]]], ["permission_rule_set"])
    assert row["permission_rule_set"]["name"] == "Manager"


def test_a_script_cannot_raise_itself_to_sudo(
    server: Server, sg: shotgun_api3.Shotgun, admin_store: Shotlog, uniq: str
) -> None:
    name, key = f"limited-{uniq}", f"key-{uuid.uuid4().hex}"
    script = sg.create("ApiUser", {"firstname": name, "permission_rule_set": "API User"})
    Credentials(admin_store).set_script_key(script["id"], key)
    target = _person(sg, uniq)
    limited = server.client(script_name=name, api_key=key)
    with pytest.raises(shotgun_api3.Fault) as caught:
        limited.update("ApiUser", script["id"], {"permission_rule_set": "API Admin"})
    assert "ApiUser.permission_rule_set: changing your own permission set to 'API Admin'" in str(caught.value)
    assert f"ApiUser {script['id']} with permission set API User" in str(caught.value)
    with pytest.raises(shotgun_api3.Fault, match="a new ApiUser to 'API Admin'"):
        limited.create("ApiUser", {"firstname": f"accomplice-{uniq}"})
    with pytest.raises(shotgun_api3.Fault, match="The user does not have permission to 'sudo'"):
        server.client(script_name=name, api_key=key, sudo_as_login=target["login"]).find(
            "Project", [["id", "is", 0]]
        )
    row = sg.find_one("ApiUser", [["id", "is", script["id"]]], ["permission_rule_set"])
    assert row["permission_rule_set"]["name"] == "API User"


# -- shotlog's own event types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type", ["Shotgun_Shot_Change", "Shotgun_User_Login", "Shotgun_Webhook_Deleted", "ClientUser_Login"]
)
def test_clients_cannot_forge_shotlogs_event_types(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str, event_type: str
) -> None:
    shot = sg.create("Shot", {"code": uniq, "project": project})
    forged = {
        "event_type": event_type,
        "entity": shot,
        "project": project,
        "attribute_name": "sg_status_list",
        "meta": {"type": "attribute_change", "old_value": "wtg", "new_value": "fin"},
    }
    artist = _person(sg, uniq)
    as_artist = server.client(login=artist["login"], password=PASSWORD)
    head = head_event_id(sg)
    # the script is an API Admin: administering users grants no event types either
    for client in (sg, as_artist):
        with pytest.raises(shotgun_api3.Fault) as caught:
            client.create("EventLogEntry", forged)
        assert f"EventLogEntry.event_type {event_type!r} is a type shotlog writes itself" in str(caught.value)
    with pytest.raises(shotgun_api3.Fault, match=f"EventLogEntry.event_type {event_type!r}"):
        sg.batch(
            [
                {
                    "request_type": "create",
                    "entity_type": "Shot",
                    "data": {"code": f"b-{uniq}", "project": project},
                },
                {"request_type": "create", "entity_type": "EventLogEntry", "data": forged},
            ]
        )
    token = _rest_token(server, artist["login"], PASSWORD)
    reply = server.http.post(
        "/api/v1/entity/event_log_entries", json=forged, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 403, reply.text
    (error,) = reply.json()["errors"]
    assert error["source"] == {"field": "event_type"} and repr(event_type) in error["title"]
    # real sign-ins write Shotgun_User_Login meanwhile: none of the events is about the Shot
    about_shot = [
        e
        for e in events_after(sg, head, event_type=event_type)
        if e["entity"] and (e["entity"]["type"], e["entity"]["id"]) == ("Shot", shot["id"])
    ]
    assert about_shot == []
    assert sg.find("Shot", [["code", "is", f"b-{uniq}"]]) == []


def test_custom_and_toolkit_event_types_stay_open(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str
) -> None:
    artist = _person(sg, uniq)
    as_artist = server.client(login=artist["login"], password=PASSWORD)
    made = as_artist.create(
        "EventLogEntry", {"event_type": "Toolkit_App_Startup", "project": project, "meta": {"app": "nuke"}}
    )
    custom = sg.create("EventLogEntry", {"event_type": "Studio_Render_Done", "description": uniq})
    found = sg.find("EventLogEntry", [["id", "in", [made["id"], custom["id"]]]], ["event_type"])
    assert sorted(e["event_type"] for e in found) == ["Studio_Render_Done", "Toolkit_App_Startup"]


def test_the_rest_api_shows_who_may_not(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    """A REST client raising itself: 403 with FPTR's error envelope naming the field."""
    artist = _person(sg, uniq)
    token = _rest_token(server, artist["login"], PASSWORD)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        reply = http.put(f"/api/v1/entity/human_users/{artist['id']}", json={"permission_rule_set": "Admin"})
        assert reply.status_code == 403, reply.text
        (error,) = reply.json()["errors"]
        assert error["status"] == 403 and error["source"] == {"field": "permission_rule_set"}
        assert "changing your own permission set to 'Admin'" in error["title"]
        own = http.put(f"/api/v1/entity/human_users/{artist['id']}", json={"password_proxy": "rest-own-pass"})
        assert own.status_code == 200, own.text
    assert _signs_in(server, artist["login"], "rest-own-pass")
    row = sg.find_one("HumanUser", [["id", "is", artist["id"]]], ["permission_rule_set"])
    assert row["permission_rule_set"]["name"] == "Artist"


@pytest.mark.parametrize(
    ("kind", "rule_set", "allowed"),
    [
        ("ApiUser", "API Admin", True),
        ("ApiUser", "Admin", True),
        ("ApiUser", "API User", False),
        ("HumanUser", "Admin", False),  # a person never sudoes, as on FPTR
        (None, None, False),
    ],
)
def test_who_may_sudo(kind: str | None, rule_set: str | None, allowed: bool) -> None:
    from shotlog.access.authority import Authority, may_sudo

    assert may_sudo(Authority(kind, 1, rule_set)) is allowed
