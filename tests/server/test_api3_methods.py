"""The rest of shotgun_api3's methods through the official client: preferences, work schedules,
per-user project access times, user subscriptions, export_page and the navigation methods."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
import shotgun_api3
from click.testing import CliRunner
from sgserver import Server

import shotlog
from shotlog.cli import main
from shotlog.site import preferences

DEFAULT_PREFS = {
    "date_component_order": "month_day",
    "duration_units": "days",
    "format_currency_fields_decimal_options": "$1,000.99",
    "format_currency_fields_display_dollar_sign": False,
    "format_currency_fields_negative_options": "- $1,000",
    "format_date_fields": "08/04/22 OR 04/08/22 (depending on the Month order preference)",
    "format_float_fields": "9,999.99",
    "format_float_fields_rounding": "9.999999",
    "format_footage_fields": "10-05",
    "format_number_fields": "1,000",
    "format_time_hour_fields": "12 hour",
    "hours_per_day": 8.0,
    "last_day_work_week": None,
    "support_local_storage": True,
}


def test_preferences_read_answers_the_documented_names(sg: shotgun_api3.Shotgun) -> None:
    prefs = sg.preferences_read()
    assert "view_master_settings" in prefs
    prefs.pop("view_master_settings")
    assert prefs == DEFAULT_PREFS
    wanted = ["date_component_order", "support_local_storage"]
    assert sg.preferences_read(wanted) == {"date_component_order": "month_day", "support_local_storage": True}
    # an unknown name is left out, as FPTR does
    assert sg.preferences_read([*wanted, "email_notifications"]) == sg.preferences_read(wanted)


def test_changing_a_preference_writes_its_event(start_server: Any, uniq: str) -> None:
    server = start_server()  # a database of its own: the shared one keeps the defaults
    sg = server.client()
    with shotlog.connect(server.db_url, migrate=False) as store:
        changed = preferences.set_preference(store, "hours_per_day", 7.5)
        assert (changed["old"], changed["new"]) == (8.0, 7.5)
        event = sg.find_one(
            "EventLogEntry",
            [["id", "is", changed["event_id"]]],
            ["event_type", "meta", "entity", "attribute_name", "description"],
        )
        assert event["event_type"] == "Shotgun_Preferences_Change"
        assert event["meta"] == {"pref": "hours_per_day", "old": 8.0, "new": 7.5}
        assert event["entity"] is None
        assert sg.preferences_read(["hours_per_day"]) == {"hours_per_day": 7.5}
        # the same value again changes nothing and writes nothing
        assert preferences.set_preference(store, "hours_per_day", 7.5)["event_id"] is None
        for name, value in (("hours_per_day", 0), ("date_component_order", "year"), ("nope", 1)):
            with pytest.raises(shotlog.ShotlogError, match=name):
                preferences.set_preference(store, name, value)
    assert sg.preferences_read(["hours_per_day", "date_component_order"]) == {
        "hours_per_day": 7.5,
        "date_component_order": "month_day",
    }

    # the CLI, as an administrator changes one
    runner = CliRunner()
    done = runner.invoke(main, ["prefs", "set", "date_component_order", "day_month", "-d", server.db_url])
    assert done.exit_code == 0, done.output
    assert done.output.startswith('date_component_order: "month_day" -> "day_month" (event ')
    assert sg.preferences_read(["date_component_order"]) == {"date_component_order": "day_month"}
    shown = runner.invoke(main, ["prefs", "show", "hours_per_day", "-d", server.db_url])
    assert json.loads(shown.output) == {"hours_per_day": 7.5}
    refused = runner.invoke(main, ["prefs", "set", "support_local_storage", "maybe", "-d", server.db_url])
    assert refused.exit_code != 0 and "support_local_storage must be true or false" in refused.output


def _working(schedule: dict[str, Any]) -> dict[str, tuple[str, bool, Any]]:
    return {day: (r["reason"], r["working"], r["description"]) for day, r in schedule.items()}


def test_work_schedule_read_and_update(start_server: Any, uniq: str) -> None:
    server = start_server()  # studio exceptions apply to every test: a database of its own
    sg = server.client()
    project = sg.create("Project", {"name": uniq})
    user = sg.create("HumanUser", {"login": f"ws-{uniq}", "name": "Artist"})
    user = {"type": "HumanUser", "id": user["id"], "name": "Artist"}
    start, end = "2012-01-01", "2012-01-07"
    week = sg.work_schedule_read(start, end, project, user)
    assert list(week) == [f"2012-01-0{d}" for d in range(1, 8)]
    assert week["2012-01-01"] == {
        "description": None,
        "reason": "STUDIO_WORK_WEEK",
        "working": False,
    }  # Sunday
    assert week["2012-01-02"] == {"description": None, "reason": "STUDIO_WORK_WEEK", "working": True}

    assert sg.work_schedule_update("2012-01-02", False, "Studio Holiday") == {
        "date": "2012-01-02",
        "description": "Studio Holiday",
        "project": None,
        "user": None,
        "working": False,
    }
    week["2012-01-02"] = {"reason": "STUDIO_EXCEPTION", "working": False, "description": "Studio Holiday"}
    assert sg.work_schedule_read(start, end, project, user) == week

    assert sg.work_schedule_update("2012-01-03", False, "Project Holiday", project)["project"] == project
    week["2012-01-03"] = {"reason": "PROJECT_EXCEPTION", "working": False, "description": "Project Holiday"}
    assert sg.work_schedule_read(start, end, project, user) == week

    assert sg.work_schedule_update("2012-01-04", False, "Artist Holiday", user=user)["user"] == user
    week["2012-01-04"] = {"reason": "USER_EXCEPTION", "working": False, "description": "Artist Holiday"}
    assert sg.work_schedule_read(start, end, project, user) == week

    # a user's exception wins over the project's; a working Saturday for the studio
    sg.work_schedule_update("2012-01-03", True, "Artist works", user=user)
    sg.work_schedule_update("2012-01-07", True, "Crunch")
    week["2012-01-03"] = {"reason": "USER_EXCEPTION", "working": True, "description": "Artist works"}
    week["2012-01-07"] = {"reason": "STUDIO_EXCEPTION", "working": True, "description": "Crunch"}
    assert sg.work_schedule_read(start, end, project, user) == week
    # without the user or the project, only the studio's rules apply
    studio = _working(sg.work_schedule_read(start, end))
    assert studio["2012-01-03"] == ("STUDIO_WORK_WEEK", True, None)
    assert studio["2012-01-04"] == ("STUDIO_WORK_WEEK", True, None)
    assert studio["2012-01-02"] == ("STUDIO_EXCEPTION", False, "Studio Holiday")

    # exceptions are WorkDayRule entities, written with their events; an update changes the rule
    sg.work_schedule_update("2012-01-02", False, "New Year (observed)")
    rules = sg.find(
        "WorkDayRule", [["date", "is", "2012-01-02"]], ["working", "description", "project", "user"]
    )
    assert [(r["description"], r["project"], r["user"]) for r in rules] == [
        ("New Year (observed)", None, None)
    ]
    events = sg.find(
        "EventLogEntry",
        [["entity", "is", {"type": "WorkDayRule", "id": rules[0]["id"]}]],
        ["event_type", "attribute_name", "meta"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    assert events[0]["event_type"] == "Shotgun_WorkDayRule_New"
    assert events[-1]["event_type"] == "Shotgun_WorkDayRule_Change"
    assert events[-1]["attribute_name"] == "description"
    assert events[-1]["meta"]["new_value"] == "New Year (observed)"


def test_work_schedule_faults(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    user = sg.find_one("HumanUser", [], ["name"])
    cases: list[tuple[str, Any, dict[str, Any]]] = [
        ("start_date", sg.work_schedule_read, {"start_date": "2012-1-1", "end_date": "2012-01-07"}),
        ("end_date", sg.work_schedule_read, {"start_date": "2012-01-07", "end_date": "2012-01-01"}),
        ("end_date", sg.work_schedule_read, {"start_date": "2000-01-01", "end_date": "2030-01-01"}),
        (
            "Project",
            sg.work_schedule_read,
            {
                "start_date": "2012-01-01",
                "end_date": "2012-01-02",
                "project": {"type": "Project", "id": 987654321},
            },
        ),
        ("date", sg.work_schedule_update, {"date": "31/12/2015", "working": False}),
        ("working", sg.work_schedule_update, {"date": "2015-12-31", "working": "no"}),
        (
            "not both",
            sg.work_schedule_update,
            {"date": "2015-12-31", "working": False, "project": project, "user": user},
        ),
        (
            "recalculate_field",
            sg.work_schedule_update,
            {"date": "2015-12-31", "working": False, "recalculate_field": "start_date"},
        ),
        ("user", sg.work_schedule_update, {"date": "2015-12-31", "working": False, "user": project}),
    ]
    for needle, method, kwargs in cases:
        with pytest.raises(shotgun_api3.Fault, match=needle):
            method(**kwargs)
    after = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    assert after == head  # nothing was written


def test_last_accessed_is_kept_per_user(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str
) -> None:
    logins = [f"a-{uniq}", f"b-{uniq}"]
    for login in logins:
        sg.create("HumanUser", {"login": login, "name": login})
    alice, bob = (server.client(sudo_as_login=login) for login in logins)
    field = "last_accessed_by_current_user"
    assert alice.find_one("Project", [["id", "is", project["id"]]], [field])[field] is None
    assert alice.update_project_last_accessed(project) is None
    seen = alice.find_one("Project", [["id", "is", project["id"]]], [field])[field]
    assert isinstance(seen, dt.datetime)
    assert abs(seen - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    # bob has not opened it; the script (no user) has not either
    assert bob.find_one("Project", [["id", "is", project["id"]]], [field])[field] is None
    assert sg.find("Project", [["id", "is", project["id"]]], [field])[0][field] is None
    # an explicit user: the script records it for bob
    bob_user = sg.find_one("HumanUser", [["login", "is", logins[1]]])
    sg.update_project_last_accessed(project, bob_user)
    assert bob.find_one("Project", [["id", "is", project["id"]]], [field])[field] is not None
    with pytest.raises(shotgun_api3.Fault, match="987654321"):
        sg.update_project_last_accessed({"type": "Project", "id": 987654321})
    with pytest.raises(shotgun_api3.Fault, match="HumanUser"):
        sg.update_project_last_accessed(project, {"type": "HumanUser", "id": 987654321})


def test_user_subscriptions(sg: shotgun_api3.Shotgun, uniq: str) -> None:
    user = sg.create("HumanUser", {"login": f"sub-{uniq}", "name": "Sub"})
    assert sg.user_subscriptions_create([{"humanUserId": user["id"], "subscription": "SG_PIPELINE"}]) is True
    assert {"humanUserId": user["id"], "subscription": "SG_PIPELINE"} in sg.user_subscriptions_read()
    sg.user_subscriptions_create([{"humanUserId": user["id"], "subscription": ["SG_REVIEW", "SG_PIPELINE"]}])
    mine = [s for s in sg.user_subscriptions_read() if s["humanUserId"] == user["id"]]
    assert mine == [{"humanUserId": user["id"], "subscription": ["SG_REVIEW", "SG_PIPELINE"]}]
    for needle, users in (
        ("humanUserId", [{"subscription": "x"}]),
        ("subscription", [{"humanUserId": user["id"], "subscription": 5}]),
        ("987654321", [{"humanUserId": 987654321, "subscription": None}]),
        ("users", []),
    ):
        with pytest.raises(shotgun_api3.Fault, match=needle):
            sg.user_subscriptions_create(users)


def test_export_page_and_navigation_answer_faults(sg: shotgun_api3.Shotgun) -> None:
    page = sg.create("Page", {"name": "Shots", "entity_type": "Shot", "page_type": "project_entity"})
    with pytest.raises(shotgun_api3.Fault, match="Page 987654321 does not exist"):
        sg.export_page(987654321, "csv")
    with pytest.raises(shotgun_api3.Fault, match=f"Page {page['id']} is not API exportable"):
        sg.export_page(page["id"], "csv", layout_name="Default")
    with pytest.raises(shotgun_api3.Fault, match="format"):
        sg.export_page(page["id"], "xlsx")
    with pytest.raises(shotgun_api3.Fault, match="no navigation item at path '/Project/1'"):
        sg.nav_expand("/Project/1")
    with pytest.raises(shotgun_api3.Fault, match="path"):
        sg.nav_expand("Project")
    with pytest.raises(shotgun_api3.Fault, match="no navigation item"):
        sg.nav_search_string("/Project/1", "shot")
    with pytest.raises(shotgun_api3.Fault, match="no navigation item"):
        sg.nav_search_entity("/", {"type": "Shot", "id": 1})


def test_additional_filter_presets_documented_by_fptr(
    sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    shot = sg.create("Shot", {"code": "presets", "project": project})
    other = sg.create("Shot", {"code": "other", "project": project})
    rows = [
        ("p_v3", shot, 3),
        ("p_v7", shot, 7),
        ("p_v5", shot, 5),
        ("o_v1", other, 1),
        ("o_v2", other, None),
    ]
    for code, entity, number in rows:
        sg.create(
            "PublishedFile", {"code": code, "entity": entity, "version_number": number, "project": project}
        )
        sg.create("Version", {"code": code, "entity": entity, "project": project})
    mine = [["project", "is", project]]

    def codes(entity_type: str, presets: list[dict[str, Any]]) -> list[str]:
        found = sg.find(entity_type, mine, ["code"], additional_filter_presets=presets)
        return sorted(r["code"] for r in found)

    latest = {"preset_name": "LATEST", "latest_by": "ENTITIES_CREATED_AT"}
    assert codes("Version", [latest]) == ["o_v2", "p_v5"]
    assert codes("PublishedFile", [latest]) == ["o_v2", "p_v5"]
    # the highest version_number of each entity (a missing number ranks lowest)
    assert codes("PublishedFile", [{"preset_name": "LATEST", "latest_by": "VERSION_NUMBER"}]) == [
        "o_v1",
        "p_v7",
    ]
    by_step = {"preset_name": "LATEST", "latest_by": "BY_PIPELINE_STEP_NUMBER_AND_ENTITIES_CREATED_AT"}
    assert codes("Version", [by_step]) == ["o_v2", "p_v5"]  # no tasks: the newest
    faults = [
        ("Version", {"preset_name": "LATEST", "latest_by": "REVISION_NUMBER"}, "revision_number"),
        ("Version", {"preset_name": "CUT_SHOT_VERSIONS", "cut_id": 1}, "CUT_SHOT_VERSIONS.*Cut and CutItem"),
        ("Version", {"preset_name": "CUT_SHOT_VERSIONS", "cut_id": "one"}, "cut_id"),
        ("Version", {"preset_name": "LATEST", "latest_by": "NEWEST"}, "latest_by must be one of"),
        ("Version", {"preset_name": "OLDEST"}, "Unknown filter preset"),
    ]
    for entity_type, preset, needle in faults:
        with pytest.raises(shotgun_api3.Fault, match=needle):
            sg.find(entity_type, mine, ["code"], additional_filter_presets=[preset])


def test_connection_methods(server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    assert sg.info()["version"][:2] == [8, 50]
    human = sg.authenticate_human_user(server.login, server.password)
    assert human is not None and human["login"] == server.login
    with pytest.raises(shotgun_api3.AuthenticationFault):
        sg.authenticate_human_user(server.login, "wrong password")
    token = sg.get_session_token()
    by_token = server.client(session_token=token)
    assert by_token.find_one("Project", [["id", "is", project["id"]]])["id"] == project["id"]
    assert sg.get_auth_cookie_handler() is not None
    sg.add_user_agent("probe/1")
    sg.reset_user_agent()
    session = "2c8f7b58-2a4a-4c8f-9d0e-0b1a5e3c6f10"
    sg.set_session_uuid(session)
    shot = sg.create("Shot", {"code": "uuid", "project": project})
    new = sg.find_one(
        "EventLogEntry", [["entity", "is", shot], ["event_type", "is", "Shotgun_Shot_New"]], ["session_uuid"]
    )
    assert new["session_uuid"] == session
    with pytest.raises(shotgun_api3.ShotgunError, match="Deprecated"):
        sg.schema("Shot")
    with pytest.raises(shotgun_api3.ShotgunError, match="Deprecated"):
        sg.entity_types()


def test_field_visibility_per_project(sg: shotgun_api3.Shotgun, uniq: str) -> None:
    name = sg.schema_field_create("Asset", "text", f"Visibility {uniq[-8:]}")
    one, two = (sg.create("Project", {"name": f"{uniq}-{n}"}) for n in (1, 2))
    shown = {"value": True, "editable": True}
    hidden = {"value": False, "editable": True}
    assert sg.schema_field_read("Asset", name)[name]["visible"] == shown  # a custom field's is editable
    assert sg.schema_field_read("Asset", "code")["code"]["visible"] == {"value": True, "editable": False}

    assert sg.schema_field_update("Asset", name, {"visible": False}, one) is True
    assert sg.schema_field_read("Asset", name, one)[name]["visible"] == hidden
    assert sg.schema_field_read("Asset", name, two)[name]["visible"] == shown
    assert sg.schema_field_read("Asset", name)[name]["visible"] == shown  # the site is unchanged
    assert sg.schema_read(one)["Asset"][name]["visible"] == hidden
    assert sg.schema_read(two)["Asset"][name]["visible"] == shown
    sg.schema_field_update("Asset", name, {"visible": True}, one)
    assert sg.schema_field_read("Asset", name, one)[name]["visible"] == shown

    with pytest.raises(shotgun_api3.Fault, match=r"Asset\.code is a built-in field"):
        sg.schema_field_update("Asset", "code", {"visible": False}, one)
    with pytest.raises(shotgun_api3.Fault, match="visible must be true or false"):
        sg.schema_field_update("Asset", name, {"visible": "no"}, one)
    with pytest.raises(shotgun_api3.Fault, match="987654321"):
        sg.schema_field_update("Asset", name, {"visible": False}, {"type": "Project", "id": 987654321})
    assert sg.schema_field_read("Asset", name, one)[name]["visible"] == shown


def test_docs_list_every_client_method_with_a_state() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api3.md").read_text()
    table = text.split("## Methods\n", 1)[1].split("\n\n**", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ")][1:]
    states = {"works", "client-side", "deprecated", "fault", "not yet: issue 14"}
    documented: set[str] = set()
    for method, _wire, state, _notes in rows:
        assert state.strip() in states, (method, state)
        documented |= set(re.findall(r"`(\w+)(?:\(\))?`", method))
    public = {
        name
        for name, member in inspect.getmembers(shotgun_api3.Shotgun)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    }
    assert public - documented == set(), "methods missing from docs/api3.md"
    assert len(public) == 50  # shotgun_api3 3.10's public surface
