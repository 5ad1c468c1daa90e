"""Pure parts of global events: which subscriptions are never written, when a password call starts a
session, what a hook operation changed, and the builders' shapes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from shotlog.accounts.signins import SESSION_WINDOW, login_due
from shotlog.eventlog.events import (
    Actor,
    EventBuilder,
    display_column_id,
    failed_login_event,
    login_event,
    script_key_event,
)
from shotlog.eventlog.schema_events import field_changed, field_revived
from shotlog.schema.global_events import (
    FPTR_GLOBAL_EVENT_TYPES,
    WRITTEN,
    never_written,
    written_global_types,
)
from shotlog.schema.model import Field
from shotlog.webhooks.api import config_changes
from shotlog.webhooks.hooks import GLOBAL_EVENT_TYPES, HookConfig


def test_one_list_of_fptr_types() -> None:
    assert GLOBAL_EVENT_TYPES is FPTR_GLOBAL_EVENT_TYPES
    assert len(set(FPTR_GLOBAL_EVENT_TYPES)) == 40
    assert set(WRITTEN) <= set(FPTR_GLOBAL_EVENT_TYPES)
    assert written_global_types() == tuple(t for t in FPTR_GLOBAL_EVENT_TYPES if t in WRITTEN)


@pytest.mark.parametrize(
    ("patterns", "flagged"),
    [
        (["Shotgun_User_Login"], []),
        (["ClientUser_Login"], ["ClientUser_Login"]),
        (["ClientUser_*", "Shotgun_User_*"], ["ClientUser_*"]),
        (["Shotgun_*"], []),  # also matches types shotlog writes
        (["Shotgun_DisplayColumn_*"], []),  # Delete is never written, but New/Change/... are
        (["Shotgun_DisplayColumn_Delete"], ["Shotgun_DisplayColumn_Delete"]),
        (["Toolkit_*", "Shotgun_Shot_Change", "Custom_Event"], []),  # not FPTR global types
        (["CRS_?ersion_Media_Download"], ["CRS_?ersion_Media_Download"]),
    ],
)
def test_never_written(patterns: list[str], flagged: list[str]) -> None:
    assert never_written(patterns) == flagged


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [(None, 0.0, True), (100.0, 100.0 + SESSION_WINDOW - 1, False), (100.0, 100.0 + SESSION_WINDOW, True)],
)
def test_login_due(last: float | None, now: float, due: bool) -> None:
    assert login_due(last, now) is due


def test_config_changes_hide_secrets() -> None:
    old = HookConfig(url="http://a", token="t1")
    new = dataclasses.replace(old, token="t2", status="disabled", projects=(3,))
    assert config_changes(old, new) == {
        "projects": {"old": [], "new": [3]},
        "status": {"old": "active", "new": "disabled"},
    }
    assert config_changes(old, None)["token"] == {"old": True, "new": None}
    assert config_changes(old, old) == {}


def test_display_column_id_is_stable_and_positive() -> None:
    assert display_column_id("Shot", "sg_x") == display_column_id("Shot", "sg_x")
    assert display_column_id("Shot", "sg_x") != display_column_id("Asset", "sg_x")
    assert 0 < display_column_id("Shot", "sg_x") < 2**31


def _builder() -> EventBuilder:
    return EventBuilder(Actor("HumanUser", 7, "Ann"))


def test_field_changed_reports_each_attribute_once() -> None:
    old = Field("Shot", "sg_x", "list", "X", valid_values=("a",))
    new = dataclasses.replace(old, display_name="Y", description="d", visible=False)
    events = field_changed(_builder(), old, new)
    assert [
        (e.attribute_name, e.meta and e.meta["old_value"], e.meta and e.meta["new_value"]) for e in events
    ] == [
        ("human_name", "X", "Y"),
        ("description", "", "d"),
        ("visible", True, False),
    ]
    assert field_changed(_builder(), old, old) == []


def test_field_revived_carries_the_retirement_date() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    change, revival = field_revived(_builder(), Field("Shot", "sg_x", "text", "X"), when)
    assert change.meta is not None and change.meta["old_value"] == "2026-01-02 03:04:05 UTC"
    assert revival.event_type == "Shotgun_DisplayColumn_Revival"


def _shape(event: Any) -> tuple[Any, ...]:
    return (event.event_type, event.entity, event.user, event.attribute_name, event.meta)


def test_sign_in_and_key_shapes() -> None:
    assert _shape(login_event(("HumanUser", 7), "ann", "Ann", "api3", "password")) == (
        "Shotgun_User_Login",
        ("HumanUser", 7),
        ("HumanUser", 7),
        None,
        {"type": "login", "source": "api3", "login": "ann", "auth": "password"},
    )
    assert _shape(failed_login_event("ann", "rest", "password")) == (
        "Shotgun_User_FailedLogin",
        None,
        None,
        None,
        {"type": "failedlogin", "source": "rest", "login": "ann", "auth": "password"},
    )
    key = script_key_event(_builder(), ("ApiUser", 3), "bot")
    assert _shape(key) == (
        "Shotgun_ApiUser_Change",
        ("ApiUser", 3),
        None,
        "salted_password",
        {
            "type": "attribute_change",
            "attribute_name": "salted_password",
            "entity_type": "ApiUser",
            "entity_id": 3,
            "field_data_type": "password",
            "old_value": None,
            "new_value": None,
        },
    )
