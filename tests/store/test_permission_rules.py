"""Permission rule sets in the store: rules changed by an administrator apply at once, only user
administrators change them, the CLI changes them, and a text permission set becomes a link."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import shotlog
from shotlog.access.authority import SHOTLOG, Authority
from shotlog.accounts.rule_edits import RuleChange, change_rule
from shotlog.cli import main
from shotlog.errors import NotFound, PermissionDenied, ValidationError
from shotlog.store import tables as t
from shotlog.store.permission_rules import convert_text_fields


def _person(sg: shotlog.Shotlog, login: str, rules: str = "Artist") -> dict[str, Any]:
    return sg.create("HumanUser", {"login": login, "name": login, "permission_rule_set": rules})


def test_a_changed_rule_applies_to_the_next_write_and_read(sg: shotlog.Shotlog, project: Any) -> None:
    artist = _person(sg, "art")
    link = {"type": "HumanUser", "id": artist["id"]}
    with pytest.raises(PermissionDenied, match="create Shot: the permission set Artist does not allow it"):
        sg.as_user(link).create("Shot", {"code": "no", "project": project})
    change_rule(sg, SHOTLOG, RuleChange("Artist", "Shot", "", "create", True))
    shot = sg.as_user(link).create("Shot", {"code": "yes", "project": project, "description": "d"})
    change_rule(sg, SHOTLOG, RuleChange("Artist", "Shot", "description", "read", False))
    view = sg.as_user(link)
    assert view.find("Shot", [["id", "is", shot["id"]]], ["code", "description"]) == [
        {"type": "Shot", "id": shot["id"], "code": "yes"}
    ]
    with pytest.raises(PermissionDenied, match=r"Shot\.description: the field is hidden"):
        view.find("Shot", [["description", "is", "d"]])
    with pytest.raises(PermissionDenied, match=r"Shot\.description is read-only"):
        view.update("Shot", shot["id"], {"description": "e"})
    # removing the field rule gives the type's rule back
    change_rule(sg, SHOTLOG, RuleChange("Artist", "Shot", "description", "read", None))
    assert (
        sg.as_user(link).find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"] == "d"
    )


def test_only_user_administrators_change_rules(sg: shotlog.Shotlog) -> None:
    manager = _person(sg, "boss", "Manager")
    who = Authority("HumanUser", manager["id"], "Manager")
    with pytest.raises(PermissionDenied, match="needs the permission to administer users"):
        change_rule(sg, who, RuleChange("Artist", "Shot", "", "delete", True))
    admin = Authority("HumanUser", 1, "Admin")
    with pytest.raises(NotFound):
        change_rule(sg, admin, RuleChange("Nobody", "Shot", "", "delete", True))
    with pytest.raises(ValidationError, match="operation: a site rule is one of"):
        change_rule(sg, admin, RuleChange("Artist", "", "", "fly", True))
    with pytest.raises(ValidationError, match="takes an operation of read, update"):
        change_rule(sg, admin, RuleChange("Artist", "Shot", "code", "delete", True))
    with pytest.raises(ValidationError, match="field: Shot has no field 'nope'"):
        change_rule(sg, admin, RuleChange("Artist", "Shot", "nope", "read", True))


def test_the_cli_lists_shows_and_sets_rules(db_url: str) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["permissions", "list", "--database", db_url])
    assert listed.exit_code == 0 and "Vendor" in listed.output and "API Read Only" in listed.output
    done = runner.invoke(
        main, ["permissions", "set", "Client", "create", "Shot", "allow", "--database", db_url]
    )
    assert done.exit_code == 0, done.output
    assert "allow   create            Shot" in done.output
    bad = runner.invoke(
        main, ["permissions", "set", "Client", "read", "Shot.nope", "refuse", "--database", db_url]
    )
    assert bad.exit_code != 0 and "Shot has no field 'nope'" in bad.output
    for command in (["set", "Nobody", "create", "Shot", "allow"], ["show", "Nobody"]):
        unknown = runner.invoke(main, ["permissions", *command, "--database", db_url])
        assert unknown.exit_code != 0
        assert "rule_set: there is no permission rule set named 'Nobody'" in unknown.output


def test_a_text_permission_set_becomes_a_link_to_the_set_of_that_name(sg: shotlog.Shotlog) -> None:
    """Migration 0015's step on a database whose sets were text: each value links to the set of
    its name, a name no default set has gets a set of its own (with no rules)."""
    manager, custom = _person(sg, "m", "Manager"), _person(sg, "c")
    table = sg.catalog.table("HumanUser")
    fields = t.schema_fields
    with sg.db.write() as conn:
        conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN legacy_rules TEXT"))
        for user, name in ((manager, "Manager"), (custom, "Lighting Lead")):
            conn.execute(
                sa.text(f"UPDATE {table.name} SET legacy_rules = :n WHERE id = :i"),
                {"n": name, "i": user["id"]},
            )
        conn.execute(
            sa.update(fields)
            .where(fields.c.entity_type == "HumanUser", fields.c.name == "permission_rule_set")
            .values(data_type="text", valid_types=[], column_name="legacy_rules", type_column=None)
        )
        assert convert_text_fields(conn, dt.datetime(2026, 12, 7))
    sg.catalog.refresh(force=True)
    rows = {
        r["id"]: r["permission_rule_set"]
        for r in sg.find("HumanUser", [["id", "in", [manager["id"], custom["id"]]]], ["permission_rule_set"])
    }
    assert rows[manager["id"]]["name"] == "Manager"
    assert rows[custom["id"]]["name"] == "Lighting Lead"
    made = sg.find_one("PermissionRuleSet", [["code", "is", "Lighting Lead"]], ["entity_type"])
    assert made is not None and made["entity_type"] == "HumanUser"
    with pytest.raises(PermissionDenied, match="the permission set Lighting Lead does not allow it"):
        sg.as_user({"type": "HumanUser", "id": custom["id"]}).create("Version", {"code": "v"})
