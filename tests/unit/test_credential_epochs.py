"""Which changes end a user's sessions (``shotlog.store.epochs.ends_sessions``), table-driven."""

from __future__ import annotations

import pytest

from shotlog.schema.defaults import default_fields
from shotlog.store.epochs import ends_sessions

FIELDS = {(f.entity_type, f.name): f for f in default_fields()}


@pytest.mark.parametrize(
    ("entity_type", "names", "ends"),
    [
        ("HumanUser", ["password_proxy"], True),
        ("HumanUser", ["sg_status_list"], True),
        ("HumanUser", ["email", "password_proxy"], True),
        ("HumanUser", ["email", "firstname"], False),
        ("HumanUser", ["permission_rule_set"], False),  # read again on every check instead
        ("HumanUser", [], False),
        ("ApiUser", ["sg_status_list"], True),
        ("ApiUser", ["firstname"], False),
        ("Shot", ["sg_status_list"], False),  # only users sign in
    ],
)
def test_what_ends_sessions(entity_type: str, names: list[str], ends: bool) -> None:
    assert ends_sessions(entity_type, [FIELDS[(entity_type, n)] for n in names]) is ends
