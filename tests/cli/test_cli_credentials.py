"""``shotlog scripts`` and ``shotlog users`` tokens and passwords, run as an operator runs them."""

from __future__ import annotations

from click.testing import CliRunner

import shotlog
from shotlog.accounts.credentials import Credentials
from shotlog.cli import main


def _run(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_scripts_from_the_command_line(sg: shotlog.Shotlog, db_url: str) -> None:
    credentials = Credentials(sg)
    made = _run("scripts", "create", "farm", "--permission-set", "API User", "--database", db_url)
    key = made.strip().splitlines()[-1]
    assert credentials.script("farm", key) is not None
    listed = _run("scripts", "list", "--database", db_url)
    assert "farm" in listed and "API User" in listed and key not in listed
    rotated = _run("scripts", "rotate", "farm", "--database", db_url).strip().splitlines()[-1]
    assert credentials.script("farm", key) is None and credentials.script("farm", rotated) is not None
    _run("scripts", "revoke", "farm", "--database", db_url)
    assert credentials.script("farm", rotated) is None
    assert "(no key)" in _run("scripts", "list", "--database", db_url)
    again = CliRunner().invoke(main, ["scripts", "revoke", "farm", "--database", db_url])
    assert again.exit_code != 0 and "has no key" in again.output
    missing = CliRunner().invoke(main, ["scripts", "rotate", "nope", "--database", db_url])
    assert missing.exit_code != 0 and "No ApiUser with name 'nope'" in missing.output
    events = sg.find("EventLogEntry", [["attribute_name", "is", "salted_password"]], ["description", "user"])
    assert len(events) == 3 and all(e["user"]["name"] == "shotlog" for e in events)  # the CLI is shotlog


def test_tokens_and_passwords_from_the_command_line(sg: shotlog.Shotlog, db_url: str) -> None:
    sg.create("HumanUser", {"login": "pat", "firstname": "Pat", "password_proxy": "first password"})
    credentials = Credentials(sg)
    made = _run("users", "token-create", "pat", "--name", "farm", "--days", "2", "--database", db_url)
    secret = made.strip().splitlines()[-1]
    assert credentials.user("pat", secret, tokens=True) is not None
    assert credentials.user("pat", secret) is None  # not a password where tokens are not taken
    listed = _run("users", "tokens", "pat", "--database", db_url)
    assert (
        "farm" in listed and secret not in listed and "from" not in listed.splitlines()[-1].split("farm")[0]
    )
    token_id = listed.strip().splitlines()[-1].split()[0]
    _run("users", "token-revoke", token_id, "--database", db_url)
    assert credentials.user("pat", secret, tokens=True) is None
    _run("users", "set-password", "pat", "--database", db_url, input="second password\nsecond password\n")
    assert credentials.user("pat", "second password") is not None
    bad = CliRunner().invoke(main, ["users", "tokens", "nobody", "--database", db_url])
    assert bad.exit_code != 0 and "no HumanUser with login 'nobody'" in bad.output
    types = [e["event_type"] for e in sg.find("EventLogEntry", [], ["event_type"])]
    assert {"ShotGrid_PAT_Added", "ShotGrid_PAT_Removed", "Shotgun_User_PasswordChange"} <= set(types)
