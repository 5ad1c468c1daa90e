"""Each default permission rule set, through the official client, the REST API and the web UI of
one running server: what it may do and what it is refused (issue 15, item 1).

Vendor and Client belong to one project (``mine``); the ``other`` project has a shot they must
not see, in any list and in the event log.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import shotgun_api3
from webkit import WebServer, csrf_of

import shotlog
from shotlog.access.authority import SHOTLOG
from shotlog.accounts.credentials import Credentials
from shotlog.accounts.rule_edits import RuleChange, change_rule, find_rule_set

PASSWORD = "rule-set-pass-01"
PEOPLE = ("Admin", "Manager", "Artist", "Vendor", "Client")
SCRIPTS = ("API Admin", "API User", "API Read Only")


@dataclass
class Cast:
    sg: shotgun_api3.Shotgun
    uniq: str
    mine: dict[str, Any]
    other: dict[str, Any]
    shot_mine: dict[str, Any]
    shot_other: dict[str, Any]
    people: dict[str, dict[str, Any]]
    clients: dict[str, shotgun_api3.Shotgun]
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def cast(server: WebServer, sg: shotgun_api3.Shotgun) -> Iterator[Cast]:
    uniq = uuid.uuid4().hex[:8]
    mine = sg.create("Project", {"name": f"perm-mine-{uniq}"})
    other = sg.create("Project", {"name": f"perm-other-{uniq}"})
    people = {}
    for rules in PEOPLE:
        people[rules] = sg.create(
            "HumanUser",
            {
                "login": f"{rules.lower()}-{uniq}",
                "firstname": rules,
                "email": f"{rules.lower()}@example.com",
                "password_proxy": PASSWORD,
                "permission_rule_set": rules,
            },
        )
    sg.update("Project", mine["id"], {"users": [people["Vendor"], people["Client"]]})
    shot_mine = sg.create("Shot", {"code": f"mine-{uniq}", "project": mine})
    shot_other = sg.create("Shot", {"code": f"other-{uniq}", "project": other})
    clients = {
        r: shotgun_api3.Shotgun(server.url, login=people[r]["login"], password=PASSWORD) for r in PEOPLE
    }
    store = shotlog.connect(server.db_url, migrate=False)
    try:
        for rules in SCRIPTS:
            name = f"{rules.lower().replace(' ', '_')}_{uniq}"
            script = sg.create("ApiUser", {"firstname": name, "permission_rule_set": rules})
            key = uuid.uuid4().hex
            Credentials(store).set_script_key(script["id"], key)
            clients[rules] = shotgun_api3.Shotgun(server.url, script_name=name, api_key=key)
    finally:
        store.close()
    tokens = {}
    for rules in PEOPLE:
        reply = server.http().post(
            "/api/v1/auth/access_token",
            data={"grant_type": "password", "username": people[rules]["login"], "password": PASSWORD},
        )
        assert reply.status_code == 200, reply.text
        tokens[rules] = reply.json()["access_token"]
    yield Cast(sg, uniq, mine, other, shot_mine, shot_other, people, clients, tokens)
    for client in clients.values():
        client.close()


def _shot(c: Cast) -> dict[str, Any]:
    return {"code": f"new-{uuid.uuid4().hex[:6]}", "project": c.mine}


def _delete_a_shot(client: shotgun_api3.Shotgun, c: Cast) -> object:
    made = c.sg.create("Shot", _shot(c))
    return client.delete("Shot", made["id"])


def _field(client: shotgun_api3.Shotgun, c: Cast) -> object:
    return client.schema_field_create("Shot", "text", f"Perm {uuid.uuid4().hex[:6]}")


def _sees(entity_key: str) -> Callable[[shotgun_api3.Shotgun, Cast], object]:
    def run(client: shotgun_api3.Shotgun, c: Cast) -> object:
        shot = getattr(c, entity_key)
        if not client.find("Shot", [["id", "is", shot["id"]]]):
            raise LookupError("not visible")
        return True

    return run


def _reads_email(client: shotgun_api3.Shotgun, c: Cast) -> object:
    row = client.find_one("HumanUser", [["id", "is", c.people["Admin"]["id"]]], ["email"])
    if row is None or "email" not in row:
        raise LookupError("hidden")
    return row


OPERATIONS: dict[str, Callable[[shotgun_api3.Shotgun, Cast], object]] = {
    "create Shot": lambda client, c: client.create("Shot", _shot(c)),
    "update Shot": lambda client, c: client.update("Shot", c.shot_mine["id"], {"description": "edited"}),
    "delete Shot": _delete_a_shot,
    "create Version": lambda client, c: client.create("Version", {"code": "v", "project": c.mine}),
    "create Note": lambda client, c: client.create("Note", {"subject": "s", "project": c.mine}),
    "see a shot of its project": _sees("shot_mine"),
    "see a shot of another project": _sees("shot_other"),
    "read a person's email": _reads_email,
    "add a field": _field,
}
#: rule set -> the operations it may do (every other one is refused)
ALLOWED = {
    "Admin": set(OPERATIONS),
    "Manager": set(OPERATIONS) - {"add a field"},
    "Artist": set(OPERATIONS) - {"add a field", "create Shot", "delete Shot"},
    "Vendor": {"create Version", "create Note", "see a shot of its project"},
    "Client": {"create Note", "see a shot of its project"},
    "API Admin": set(OPERATIONS),
    "API User": set(OPERATIONS) - {"add a field"},
    "API Read Only": {"see a shot of its project", "see a shot of another project", "read a person's email"},
}


@pytest.mark.parametrize(("rules", "operation"), [(r, o) for r in ALLOWED for o in OPERATIONS])
def test_api3_allows_and_refuses_by_rule_set(cast: Cast, rules: str, operation: str) -> None:
    client = cast.clients[rules]
    if operation in ALLOWED[rules]:
        OPERATIONS[operation](client, cast)
        return
    with pytest.raises((shotgun_api3.Fault, LookupError)) as caught:
        OPERATIONS[operation](client, cast)
    if isinstance(caught.value, shotgun_api3.Fault):
        assert "permission set" in str(caught.value) or "may not" in str(caught.value)


def test_refused_writes_change_nothing(cast: Cast) -> None:
    """A refused update leaves the value and writes no event."""
    before = cast.sg.find_one("Shot", [["id", "is", cast.shot_other["id"]]], ["description"])
    with pytest.raises(shotgun_api3.Fault, match="update Shot: the permission set Vendor does not allow it"):
        cast.clients["Vendor"].update("Shot", cast.shot_other["id"], {"description": "vendor was here"})
    after = cast.sg.find_one("Shot", [["id", "is", cast.shot_other["id"]]], ["description"])
    assert before == after


def test_a_restricted_person_sees_only_its_projects_and_their_events(cast: Cast) -> None:
    for rules in ("Vendor", "Client"):
        client = cast.clients[rules]
        names = {p["name"] for p in client.find("Project", [], ["name"])}
        assert cast.mine["name"] in names and cast.other["name"] not in names
        about = [["entity", "is", cast.shot_other]]
        assert client.find("EventLogEntry", about, ["event_type"]) == []
        assert client.find("EventLogEntry", [["entity", "is", cast.shot_mine]], ["event_type"]) != []
        assert client.summarize("Shot", [["project", "is", cast.other]], [{"field": "id", "type": "count"}])[
            "summaries"
        ] == {"id": 0}
    # an Artist is not restricted
    assert cast.clients["Artist"].find("EventLogEntry", [["entity", "is", cast.shot_other]], ["id"]) != []


def test_a_restricted_person_writes_only_in_its_projects(cast: Cast) -> None:
    for rules in ("Vendor", "Client"):
        refusal = f"the permission set {rules} writes only in the projects"
        with pytest.raises(shotgun_api3.Fault, match=refusal):
            cast.clients[rules].create("Note", {"subject": "elsewhere", "project": cast.other})
    # an Artist is not restricted
    assert cast.clients["Artist"].create("Note", {"subject": "elsewhere", "project": cast.other})["id"]


def test_a_hidden_field_cannot_be_filtered_on(cast: Cast) -> None:
    with pytest.raises(shotgun_api3.Fault, match=r"HumanUser\.email: the field is hidden"):
        cast.clients["Vendor"].find("HumanUser", [["email", "starts_with", "admin"]])


def _sudo(server: WebServer, script: shotgun_api3.Shotgun, login: str) -> shotgun_api3.Shotgun:
    """The client of ``script``'s name and key, acting as ``login``."""
    config = script.config
    return shotgun_api3.Shotgun(
        server.url, script_name=config.script_name, api_key=config.api_key, sudo_as_login=login
    )


def test_sudo_applies_the_targets_rule_set_and_is_a_permission(server: WebServer, cast: Cast) -> None:
    as_vendor = _sudo(server, cast.clients["API Admin"], cast.people["Vendor"]["login"])
    try:
        assert as_vendor.find("Shot", [["id", "is", cast.shot_other["id"]]]) == []
        with pytest.raises(shotgun_api3.Fault, match="create Shot: the permission set Vendor"):
            as_vendor.create("Shot", _shot(cast))
        assert as_vendor.create("Version", {"code": "by-sudo", "project": cast.mine})["id"]
    finally:
        as_vendor.close()
    denied = _sudo(server, cast.clients["API User"], cast.people["Admin"]["login"])
    try:
        with pytest.raises(shotgun_api3.Fault, match="permission to 'sudo'"):
            denied.find("Project", [["id", "is", 0]])
    finally:
        denied.close()


# -- REST --------------------------------------------------------------------------------------------

REST_ALLOWED = {
    "Admin": {"create", "read other"},
    "Manager": {"create", "read other"},
    "Artist": {"read other"},
    "Vendor": set(),
    "Client": set(),
}


@pytest.mark.parametrize("rules", PEOPLE)
def test_rest_allows_and_refuses_by_rule_set(server: WebServer, cast: Cast, rules: str) -> None:
    headers = {"Authorization": f"Bearer {cast.tokens[rules]}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        mine = {"type": "Project", "id": cast.mine["id"]}
        code = f"rest-{uuid.uuid4().hex[:6]}"
        made = http.post("/api/v1/entity/shots", json={"code": code, "project": mine})
        other = http.get(f"/api/v1/entity/shots/{cast.shot_other['id']}")
        own = http.get(f"/api/v1/entity/shots/{cast.shot_mine['id']}")
    assert own.status_code == 200, own.text
    if "create" in REST_ALLOWED[rules]:
        assert made.status_code == 201, made.text
    else:
        assert made.status_code == 403, made.text
        assert made.json()["errors"][0]["status"] == 403
    assert other.status_code == (200 if "read other" in REST_ALLOWED[rules] else 404), other.text


# -- the web UI --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rules", PEOPLE)
def test_web_pages_follow_the_rule_set(server: WebServer, cast: Cast, rules: str) -> None:
    http = server.signed_in(cast.people[rules]["login"], PASSWORD)
    hooks = http.get("/webhooks")
    assert hooks.status_code == (200 if rules in ("Admin", "Manager") else 403)
    events = http.get("/events", params={"project": cast.other["id"]})
    assert events.status_code == 200
    sees_other = f"other-{cast.uniq}" in events.text
    assert sees_other is (rules not in ("Vendor", "Client"))


# -- rules changed while the server runs (every check asks the rules the database holds) -------------


def _until(check: Callable[[], bool], what: str) -> None:
    """Wait for ``check`` (a server applies another process's rule change within a second)."""
    deadline = time.monotonic() + 15
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


@contextmanager
def _rule(
    server: WebServer, rule_set: str, operation: str, target: str, allowed: bool | None
) -> Iterator[None]:
    """``rule_set``'s rule changed as the CLI does it, and put back as it was afterwards."""
    entity_type, _, field = ("" if target == "site" else target).partition(".")
    store = shotlog.connect(server.db_url, migrate=False)
    try:
        found = find_rule_set(store, rule_set)
        key = (entity_type, field, operation)
        old = next((r.allowed for r in found.rules if (r.entity_type, r.field, r.operation) == key), None)
        change_rule(store, SHOTLOG, RuleChange(rule_set, *key, allowed))
        try:
            yield
        finally:
            change_rule(store, SHOTLOG, RuleChange(rule_set, *key, old))
    finally:
        store.close()


def _sudo_works(server: WebServer, cast: Cast) -> bool:
    client = _sudo(server, cast.clients["API User"], cast.people["Artist"]["login"])
    try:
        client.find("Project", [["id", "is", cast.mine["id"]]])
    except shotgun_api3.Fault as exc:
        assert "permission to 'sudo'" in str(exc)
        return False
    finally:
        client.close()
    return True


def test_sudo_follows_the_rules_as_changed(server: WebServer, cast: Cast) -> None:
    assert not _sudo_works(server, cast)
    with (
        _rule(server, "API User", "sudo", "site", True),
        _rule(server, "API User", "administer_users", "site", True),
    ):
        _until(lambda: _sudo_works(server, cast), "API User may sudo once its set allows it")
    _until(lambda: not _sudo_works(server, cast), "the sudo refused again once the rule is back")


def test_web_pages_follow_the_rules_as_changed(server: WebServer, cast: Cast) -> None:
    artist = server.signed_in(cast.people["Artist"]["login"], PASSWORD)
    manager = server.signed_in(cast.people["Manager"]["login"], PASSWORD)
    # the daemon's controls are manage_daemon's, in the web UI as over REST: not a Manager's by default
    assert manager.get("/daemon").status_code == 403
    assert 'href="/daemon"' not in manager.get("/admin").text
    refused = artist.get("/daemon")
    assert refused.status_code == 403 and "manage daemon" in refused.text
    assert artist.get("/admin/archive").status_code == 403
    with _rule(server, "Artist", "manage_daemon", "site", True):
        _until(lambda: artist.get("/daemon").status_code == 200, "the daemon page once Artist may manage it")
        assert 'href="/daemon"' in artist.get("/admin").text
        assert artist.get("/admin/archive").status_code == 403
    _until(lambda: artist.get("/daemon").status_code == 403, "the daemon page refused again")


def _events_after(sg: shotgun_api3.Shotgun, after: int) -> list[dict[str, Any]]:
    return sg.find(
        "EventLogEntry",
        [["id", "greater_than", after], ["event_type", "starts_with", "Shotgun_PermissionRuleSet_"]],
        ["event_type", "entity", "user", "meta"],
        order=[{"field_name": "id", "direction": "asc"}],
    )


def _head(sg: shotgun_api3.Shotgun) -> int:
    newest = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    return newest["id"] if newest else 0


def test_rest_changes_a_rule_with_fptrs_events(server: WebServer, cast: Cast) -> None:
    headers = {"Authorization": f"Bearer {cast.tokens['Admin']}"}
    rule = {"entity_type": "Shot", "field": "description", "operation": "update"}
    before = _head(cast.sg)
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        listed = http.get("/api/v1/permission_rule_sets")
        assert listed.status_code == 200, listed.text
        client_set = next(s for s in listed.json()["data"] if s["code"] == "Client")
        assert http.get(f"/api/v1/permission_rule_sets/{client_set['id']}").json()["data"] == client_set
        path = "/api/v1/permission_rule_sets/Client/rules"
        made = http.patch(path, json={**rule, "allowed": False})
        assert made.status_code == 200, made.text
        assert {**rule, "allowed": False} in made.json()["data"]["rules"]
        same = http.patch(path, json={**rule, "allowed": False})  # no change, no event
        assert same.status_code == 200, same.text
        assert http.patch(path, json={**rule, "allowed": True}).status_code == 200
        gone = http.patch(path, json={**rule, "allowed": None})
        assert gone.status_code == 200, gone.text
        assert all(
            (r["entity_type"], r["field"]) != ("Shot", "description") for r in gone.json()["data"]["rules"]
        )
    events = _events_after(cast.sg, before)
    assert [e["event_type"] for e in events] == [
        "Shotgun_PermissionRuleSet_NewRule",
        "Shotgun_PermissionRuleSet_ChangeRule",
        "Shotgun_PermissionRuleSet_DeleteRule",
    ]
    for e in events:
        assert e["entity"]["type"] == "PermissionRuleSet" and e["entity"]["id"] == client_set["id"]
        assert e["user"]["type"] == "HumanUser" and e["user"]["id"] == cast.people["Admin"]["id"]
    assert [(e["meta"]["old_value"], e["meta"]["new_value"]) for e in events] == [
        ("default", "refused"),
        ("refused", "allowed"),
        ("allowed", "default"),
    ]
    assert events[0]["meta"]["operation"] == "update" and events[0]["meta"]["field"] == "description"


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"entity_type": "Shot", "operation": "update", "allowed": "yes"}, 400, "allowed"),
        ({"entity_type": "Shot", "operation": "update"}, 400, "allowed"),
        ({"entity_type": "NoSuchType", "operation": "read", "allowed": True}, 400, "entity_type"),
        (
            {"entity_type": "Shot", "field": "no_such_field", "operation": "read", "allowed": True},
            400,
            "field",
        ),
        ({"entity_type": "Shot", "operation": "fly", "allowed": True}, 400, "operation"),
        ({"entity_type": "", "operation": "fly", "allowed": True}, 400, "operation"),
        ({"entity_type": 3, "operation": "read", "allowed": True}, 400, "entity_type"),
        (["not", "an", "object"], 400, "body"),
    ],
)
def test_rest_rule_changes_refused_name_the_field(
    server: WebServer, cast: Cast, body: Any, status: int, named: str
) -> None:
    headers = {"Authorization": f"Bearer {cast.tokens['Admin']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        before = http.get("/api/v1/permission_rule_sets/Client").json()
        reply = http.patch("/api/v1/permission_rule_sets/Client/rules", json=body)
        assert reply.status_code == status, reply.text
        error = reply.json()["errors"][0]
        assert named in error["title"] and named in json.dumps(error.get("source", {})), error
        assert http.get("/api/v1/permission_rule_sets/Client").json() == before


def test_rest_rule_sets_refusals(server: WebServer, cast: Cast) -> None:
    change = {"entity_type": "Shot", "operation": "create", "allowed": True}
    for rules in ("Manager", "Vendor"):
        headers = {"Authorization": f"Bearer {cast.tokens[rules]}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            refused = http.patch("/api/v1/permission_rule_sets/Vendor/rules", json=change)
            assert refused.status_code == 403, refused.text
            assert "administer users" in refused.json()["errors"][0]["title"]
    headers = {"Authorization": f"Bearer {cast.tokens['Admin']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        missing = http.get("/api/v1/permission_rule_sets/Nobody")
        assert missing.status_code == 404 and "Nobody" in missing.text
        assert http.patch("/api/v1/permission_rule_sets/Nobody/rules", json=change).status_code == 404
        assert http.get("/api/v1/permission_rule_sets").status_code == 200
    with pytest.raises(shotgun_api3.Fault, match="create Shot: the permission set Vendor"):
        cast.clients["Vendor"].create("Shot", _shot(cast))


def test_web_rule_page_changes_a_rule(server: WebServer, cast: Cast) -> None:
    admin = server.signed_in(cast.people["Admin"]["login"], PASSWORD)
    index = admin.get("/admin/permissions")
    assert index.status_code == 200 and ">Vendor</a>" in index.text
    vendor_id = next(s["id"] for s in cast.sg.find("PermissionRuleSet", [["code", "is", "Vendor"]], ["id"]))
    page_ = admin.get(f"/admin/permissions/{vendor_id}")
    assert page_.status_code == 200 and "HumanUser.email" in page_.text
    form = {"operation": "create", "target": "Shot", "decision": "allow"}
    # a form without its CSRF token changes nothing
    assert admin.post(f"/admin/permissions/{vendor_id}", data=form).status_code == 403
    wrong = admin.post(
        f"/admin/permissions/{vendor_id}", data={**form, "target": "Shot.nope", "csrf": csrf_of(page_.text)}
    )
    assert wrong.status_code == 400 and "Shot has no field" in wrong.text and 'id="e-target"' in wrong.text
    before = _head(cast.sg)
    done = admin.post(f"/admin/permissions/{vendor_id}", data={**form, "csrf": csrf_of(page_.text)})
    assert done.status_code == 303, done.text
    try:
        _until(lambda: _creates_a_shot(cast), "a Vendor creates a Shot once the rule allows it")
    finally:
        undo = {**form, "decision": "default", "csrf": csrf_of(page_.text)}
        assert admin.post(f"/admin/permissions/{vendor_id}", data=undo).status_code == 303
    events = _events_after(cast.sg, before)
    assert [e["event_type"] for e in events] == [
        "Shotgun_PermissionRuleSet_NewRule",
        "Shotgun_PermissionRuleSet_DeleteRule",
    ]
    assert events[0]["user"]["id"] == cast.people["Admin"]["id"]
    # the page is for user administrators only
    manager = server.signed_in(cast.people["Manager"]["login"], PASSWORD)
    assert manager.get("/admin/permissions").status_code == 403
    refused = manager.post(f"/admin/permissions/{vendor_id}", data={**form, "csrf": csrf_of(page_.text)})
    assert refused.status_code == 403
    _until(lambda: not _creates_a_shot(cast), "a Vendor refused Shots again")


def _creates_a_shot(cast: Cast) -> bool:
    try:
        cast.clients["Vendor"].create("Shot", _shot(cast))
    except shotgun_api3.Fault as exc:
        assert "create Shot: the permission set Vendor" in str(exc)
        return False
    return True


# -- the reads beside find: summaries, text search, followers, the schema ----------------------------


def test_summaries_refuse_hidden_fields(cast: Cast) -> None:
    vendor = cast.clients["Vendor"]
    with pytest.raises(shotgun_api3.Fault, match=r"summary_fields: HumanUser\.email is hidden"):
        vendor.summarize("HumanUser", [], [{"field": "email", "type": "maximum"}])
    with pytest.raises(shotgun_api3.Fault, match=r"grouping: HumanUser\.email is hidden"):
        vendor.summarize(
            "HumanUser",
            [],
            [{"field": "id", "type": "count"}],
            grouping=[{"field": "email", "type": "exact", "direction": "asc"}],
        )
    # a field it may read, and the same summary for a set that does not hide the field
    assert vendor.summarize("HumanUser", [], [{"field": "login", "type": "count"}])["summaries"]["login"] > 0
    found = cast.clients["Artist"].summarize(
        "HumanUser", [["id", "is", cast.people["Admin"]["id"]]], [{"field": "email", "type": "maximum"}]
    )
    assert found["summaries"]["email"] == "admin@example.com"


def test_text_search_finds_only_what_the_set_sees(cast: Cast) -> None:
    def codes(client: shotgun_api3.Shotgun) -> set[str]:
        return {m["name"] for m in client.text_search(cast.uniq, {"Shot": []})["matches"]}

    assert codes(cast.clients["Vendor"]) == {f"mine-{cast.uniq}"}
    assert codes(cast.clients["Artist"]) == {f"mine-{cast.uniq}", f"other-{cast.uniq}"}


def test_followers_of_an_entity_the_set_cannot_see(cast: Cast) -> None:
    admin = {"type": "HumanUser", "id": cast.people["Admin"]["id"]}
    shot_other = {"type": "Shot", "id": cast.shot_other["id"]}
    shot_mine = {"type": "Shot", "id": cast.shot_mine["id"]}
    cast.sg.follow(admin, shot_other)
    cast.sg.follow(admin, shot_mine)
    assert admin["id"] in {u["id"] for u in cast.clients["Artist"].followers(shot_other)}
    with pytest.raises(shotgun_api3.Fault, match="Shot"):
        cast.clients["Vendor"].followers(shot_other)
    assert admin["id"] in {u["id"] for u in cast.clients["Vendor"].followers(shot_mine)}
    followed = {(e["type"], e["id"]) for e in cast.clients["Vendor"].following(admin)}
    assert ("Shot", shot_mine["id"]) in followed and ("Shot", shot_other["id"]) not in followed
    assert ("Shot", shot_other["id"]) in {
        (e["type"], e["id"]) for e in cast.clients["Artist"].following(admin)
    }


def test_schema_reads_leave_out_hidden_fields(cast: Cast) -> None:
    vendor, artist = cast.clients["Vendor"], cast.clients["Artist"]
    assert "email" not in vendor.schema_field_read("HumanUser") and "login" in vendor.schema_field_read(
        "HumanUser"
    )
    assert "email" in artist.schema_field_read("HumanUser")
    with pytest.raises(shotgun_api3.Fault, match="email"):
        vendor.schema_field_read("HumanUser", "email")
    assert "email" not in vendor.schema_read()["HumanUser"]
    assert "email" not in vendor.schema_read({"type": "Project", "id": cast.mine["id"]})["HumanUser"]
    assert "email" in artist.schema_read({"type": "Project", "id": cast.mine["id"]})["HumanUser"]
