"""matchEvents: the exact decision procedure of shotgunEvents, and validation at registration."""

from __future__ import annotations

from typing import Any

import pytest

from shotlog.daemon.matching import MatchEventsError, check_match_events, matches

NEW = {"event_type": "Shotgun_Shot_New", "attribute_name": None}
STATUS = {"event_type": "Shotgun_Task_Change", "attribute_name": "sg_status_list"}
STATUS_SHORT = {"event_type": "Shotgun_Task_Change", "attribute_name": "status"}
CODE = {"event_type": "Shotgun_Shot_Change", "attribute_name": "code"}


@pytest.mark.parametrize(
    ("match", "event", "expected"),
    [
        (None, NEW, True),
        ({}, NEW, True),
        ({"Shotgun_Shot_New": None}, NEW, True),
        ({"Shotgun_Shot_New": ["*"]}, NEW, True),
        ({"Shotgun_Shot_New": ["code"]}, NEW, False),  # New events have no attribute name
        ({"Shotgun_Task_Change": ["sg_status_list"]}, STATUS, True),
        ({"Shotgun_Task_Change": ["sg_status_list"]}, STATUS_SHORT, False),
        ({"Shotgun_Task_Change": "sg_status_list"}, STATUS_SHORT, True),  # a str is a substring test
        ({"Shotgun_Task_Change": "sg_status_list"}, STATUS, True),
        ({"Shotgun_Task_Change": ("sg_status_list",)}, STATUS, True),  # tuples and sets as lists
        ({"Shotgun_Task_Change": {"sg_status_list"}}, STATUS, True),
        ({"*": ["code"], "Shotgun_Shot_New": None}, CODE, True),
        ({"*": ["code"], "Shotgun_Shot_New": None}, NEW, False),  # '*' wins over every other key
        ({"*": None}, NEW, True),
        ({"Shotgun_Shot_Change": ["code"]}, STATUS, False),  # another event type
        ({"Shotgun_Task_Change": []}, STATUS, False),
    ],
)
def test_matches(match: Any, event: dict[str, Any], expected: bool) -> None:
    assert matches(check_match_events(match), event) is expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Shotgun_Task_Change": 5}, "matchEvents['Shotgun_Task_Change'] = 5"),
        (["Shotgun_Task_Change"], "must be a dict"),
        ("Shotgun_Task_Change", "must be a dict"),
        ({5: None}, "key 5"),
        ({"Shotgun_Task_Change": ["ok", 3]}, "holds 3"),
        (0, "must be a dict or None"),
    ],
)
def test_wrong_types_are_rejected(value: Any, message: str) -> None:
    with pytest.raises(MatchEventsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_match_events(value)


def test_the_registrar_has_exactly_upstreams_public_members() -> None:
    import logging

    from shotlog.daemon.registrar import Registrar

    reg = Registrar("p", logging.getLogger("plugin.p"), lambda name, key: None)
    public = {n for n in dir(reg) if not n.startswith("_")}
    assert public == {"logger", "getLogger", "setEmails", "registerCallback"}
    reg.setEmails(True)
    assert reg._registered()[1] is None  # the configured recipients
    reg.setEmails(False)
    assert reg._registered()[1] == ()  # nobody (upstream mails the address "False")
    reg.setEmails("a@b.c", "d@e.f")
    assert reg._registered()[1] == ("a@b.c", "d@e.f")
