"""Which events are setup and system events: the ones a site's own making writes, not its work.

A new site's first screens are its schema, its scripts and its first account; a working site's are
sign-ins. The web UI's event log can hide these by default (an admin's choice) with one click to show
them. The rule is a filter in shotgun_api3's form, so it pages, counts and tails live like any other:

* ``Shotgun_DisplayColumn_*``: fields created, changed, retired or revived (schema setup);
* ``Shotgun_ApiUser_*``: scripts made, their keys and settings changed;
* ``Shotgun_Preferences_Change``: site preferences;
* ``Shotgun_User_Login``, ``_Logout``, ``_FailedLogin``: sign-ins and sign-outs;
* ``Shotgun_HumanUser_New`` and ``_Change`` not made by a person: accounts made by shotlog itself
  (the admin ``shotlog serve`` creates, the seed) or by a script. A person's own edits stay;
* ``Shotgun_ActionMenuItem_New`` and ``_Change`` not made by a person: the menu items shotlog makes
  for itself when it starts (Export events to CSV). An admin's own items stay.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SETUP_EVENT_TYPES", "UNLESS_BY_A_PERSON", "not_setup"]

SETUP_EVENT_TYPES: tuple[str, ...] = (
    "Shotgun_DisplayColumn_New",
    "Shotgun_DisplayColumn_Change",
    "Shotgun_DisplayColumn_Retirement",
    "Shotgun_DisplayColumn_Revival",
    "Shotgun_ApiUser_New",
    "Shotgun_ApiUser_Change",
    "Shotgun_ApiUser_Retirement",
    "Shotgun_ApiUser_Revival",
    "Shotgun_Preferences_Change",
    "Shotgun_User_Login",
    "Shotgun_User_Logout",
    "Shotgun_User_FailedLogin",
)
#: setup only when no person made them
UNLESS_BY_A_PERSON: tuple[str, ...] = (
    "Shotgun_HumanUser_New",
    "Shotgun_HumanUser_Change",
    "Shotgun_ActionMenuItem_New",
    "Shotgun_ActionMenuItem_Change",
)


def not_setup() -> list[Any]:
    """Filters (shotgun_api3's form) that leave out setup and system events."""
    return [
        ["event_type", "not_in", list(SETUP_EVENT_TYPES)],
        {
            "filter_operator": "any",
            "filters": [
                ["event_type", "not_in", list(UNLESS_BY_A_PERSON)],
                ["user", "type_is", "HumanUser"],
            ],
        },
    ]
