"""The pure decisions of credentials managed at run time: token names and expiries, who may touch
whose tokens, script names, and the events' shapes (never a secret)."""

from __future__ import annotations

import datetime as dt

import pytest

from shotlog.access.authority import SHOTLOG, Authority
from shotlog.accounts.access_tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    PREFIX,
    AccessToken,
    expiry,
    is_token,
    token_event,
    token_refusal,
)
from shotlog.accounts.scripts import script_name
from shotlog.errors import ValidationError
from shotlog.eventlog.events import Actor, EventBuilder, password_change_event, script_key_event

NOW = dt.datetime(2026, 12, 7, 12, 0, 0)


@pytest.mark.parametrize(
    ("name", "days", "expires"),
    [
        ("farm", None, NOW + dt.timedelta(days=DEFAULT_DAYS)),
        ("  farm  ", "", NOW + dt.timedelta(days=DEFAULT_DAYS)),
        ("farm", 1, NOW + dt.timedelta(days=1)),
        ("farm", " 7 ", NOW + dt.timedelta(days=7)),
        ("farm", MAX_DAYS, NOW + dt.timedelta(days=MAX_DAYS)),
    ],
)
def test_good_expiries(name: str, days: object, expires: dt.datetime) -> None:
    assert expiry(name, days, NOW) == ("farm", expires)


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [
        (None, 1, "name"),
        ("", 1, "name"),
        ("x" * 101, 1, "name"),
        ("farm", 0, "expires_in_days"),
        ("farm", MAX_DAYS + 1, "expires_in_days"),
        ("farm", -3, "expires_in_days"),
        ("farm", 2.5, "expires_in_days"),
        ("farm", True, "expires_in_days"),
        ("farm", "a week", "expires_in_days"),
    ],
)
def test_bad_expiries_name_their_field(name: object, days: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        expiry(name, days, NOW)
    assert caught.value.details["field"] == field and caught.value.message.startswith(field)


def test_tokens_are_told_from_passwords_by_their_prefix() -> None:
    assert is_token(PREFIX + "abc") and not is_token("slpat") and not is_token(None)


ARTIST = Authority("HumanUser", 5, "Artist")
ADMIN = Authority("HumanUser", 1, "Admin")
SCRIPT_ADMIN = Authority("ApiUser", 2, "API Admin")


@pytest.mark.parametrize(
    ("who", "owner", "action", "allowed"),
    [
        (ARTIST, 5, "make", True),
        (ARTIST, 5, "list", True),
        (ARTIST, 5, "revoke", True),
        (ARTIST, 6, "list", False),
        (ARTIST, 6, "revoke", False),
        (ADMIN, 5, "list", True),
        (ADMIN, 5, "revoke", True),
        (ADMIN, 5, "make", False),  # nobody mints a credential that acts as someone else
        (SCRIPT_ADMIN, 5, "revoke", True),
        (SCRIPT_ADMIN, 5, "make", False),
        (SHOTLOG, 5, "list", True),
    ],
)
def test_who_may_touch_whose_tokens(who: Authority, owner: int, action: str, allowed: bool) -> None:
    assert (token_refusal(who, owner, action) is None) is allowed


@pytest.mark.parametrize("bad", [None, "", "   ", "x" * 256, 12])
def test_bad_script_names(bad: object) -> None:
    with pytest.raises(ValidationError, match="firstname"):
        script_name(bad)
    assert script_name("  render farm ") == "render farm"


def test_the_events_carry_no_secret() -> None:
    actor = Actor("HumanUser", 5, "Pat Doe")
    token = AccessToken(9, 5, "farm", NOW, NOW + dt.timedelta(days=3), None, None)
    added = token_event("Added", actor, token, "Pat Doe added a token")
    assert added.event_type == "ShotGrid_PAT_Added" and added.entity == ("HumanUser", 5)
    assert added.meta == {
        "type": "pat_added",
        "token_id": 9,
        "name": "farm",
        "user_id": 5,
        "expires_at": "2026-12-10T12:00:00Z",
    }
    revoked = script_key_event(EventBuilder(actor), ("ApiUser", 3), "farm", revoked=True)
    assert revoked.meta is not None and revoked.meta["new_value"] is None
    assert revoked.description == 'Pat Doe revoked "Application Key" on Script farm'
    changed = password_change_event(EventBuilder(actor), ("HumanUser", 7), "Sam")
    assert changed.event_type == "Shotgun_User_PasswordChange"
    assert changed.meta == {"type": "password_change", "user_id": 7}
