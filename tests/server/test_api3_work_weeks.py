"""Work weeks of the studio, a project and a user: set with ``shotlog schedule``, answered by the
official client's ``work_schedule_read`` with FPTR's reasons, and combined with day exceptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from click.testing import CliRunner

from shotlog.cli import main
from shotlog.errors import ValidationError
from shotlog.site.workschedule import day_rule, parse_week

MON, SAT = dt.date(2012, 1, 2), dt.date(2012, 1, 7)
FOUR_DAYS = frozenset({1, 2, 3, 4})


@pytest.mark.parametrize(
    ("day", "exceptions", "weeks", "reason", "working"),
    [
        (SAT, {}, {}, "STUDIO_WORK_WEEK", False),
        (SAT, {}, {"studio": frozenset(range(1, 7))}, "STUDIO_WORK_WEEK", True),
        (MON, {}, {"project": frozenset({2, 3})}, "PROJECT_WORK_WEEK", False),
        (MON, {}, {"project": frozenset({2}), "user": frozenset({1})}, "USER_WORK_WEEK", True),
        # within a level the exception wins; a more specific level's week beats a wider exception
        (MON, {"project": {"working": True}}, {"project": frozenset({2})}, "PROJECT_EXCEPTION", True),
        (MON, {"studio": {"working": False}}, {"project": FOUR_DAYS}, "PROJECT_WORK_WEEK", True),
        (MON, {"project": {"working": False}}, {"user": FOUR_DAYS}, "USER_WORK_WEEK", True),
        (MON, {"user": {"working": False}}, {"user": FOUR_DAYS}, "USER_EXCEPTION", False),
    ],
)
def test_the_most_specific_level_decides(
    day: dt.date, exceptions: dict[str, Any], weeks: dict[str, frozenset[int]], reason: str, working: bool
) -> None:
    rule = day_rule(day, exceptions, weeks)
    assert (rule["reason"], rule["working"]) == (reason, working)


def test_weekday_names() -> None:
    assert parse_week(["Monday", "tue", "WED", "thursday"]) == FOUR_DAYS
    assert parse_week([]) == frozenset()
    with pytest.raises(ValidationError, match="'mo' is not a weekday"):
        parse_week(["mo"])
    with pytest.raises(ValidationError, match="'funday' is not a weekday"):
        parse_week(["funday"])
    with pytest.raises(ValidationError, match="list of weekday names"):
        parse_week("monday")


def _schedule(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["schedule", *args, "--database", db_url])
    assert result.exit_code == 0, result.output
    return result.output


def test_work_weeks_through_the_client(start_server: Any, uniq: str) -> None:
    server = start_server()  # the studio's week applies to every test: a database of its own
    sg = server.client()
    project = sg.create("Project", {"name": uniq})
    login = f"ww-{uniq}"
    user = sg.create("HumanUser", {"login": login, "name": "Artist"})
    user = {"type": "HumanUser", "id": user["id"], "name": "Artist"}
    start, end = "2012-01-02", "2012-01-08"  # Monday to Sunday

    def days(**levels: Any) -> dict[str, tuple[str, bool]]:
        read = sg.work_schedule_read(start, end, levels.get("project"), levels.get("user"))
        return {day: (r["reason"], r["working"]) for day, r in read.items()}

    assert days()["2012-01-07"] == ("STUDIO_WORK_WEEK", False)

    # a six-day studio, a four-day project, a user who works Tuesday to Saturday
    assert "STUDIO_WORK_WEEK" in _schedule(
        server.db_url, "set-week", "mon", "tue", "wed", "thu", "fri", "sat"
    )
    _schedule(
        server.db_url, "set-week", "--project", str(project["id"]), "monday", "tuesday", "wednesday", "thu"
    )
    out = _schedule(server.db_url, "set-week", "--user", login, "tue", "wed", "thu", "fri", "sat")
    assert out.strip() == "work week: tuesday, wednesday, thursday, friday, saturday (USER_WORK_WEEK)"

    assert days()["2012-01-07"] == ("STUDIO_WORK_WEEK", True)
    project_days = days(project=project)
    assert project_days["2012-01-05"] == ("PROJECT_WORK_WEEK", True)
    assert project_days["2012-01-06"] == ("PROJECT_WORK_WEEK", False)
    both = days(project=project, user=user)
    assert both["2012-01-02"] == ("USER_WORK_WEEK", False)
    assert both["2012-01-07"] == ("USER_WORK_WEEK", True)

    # a day exception of the user beats the user's week; the project's exception does not
    sg.work_schedule_update("2012-01-03", False, "Dentist", user=user)
    sg.work_schedule_update("2012-01-04", False, "Project offsite", project)
    both = days(project=project, user=user)
    assert both["2012-01-03"] == ("USER_EXCEPTION", False)
    assert both["2012-01-04"] == ("USER_WORK_WEEK", True)
    assert days(project=project)["2012-01-04"] == ("PROJECT_EXCEPTION", False)

    # clearing the user's week: the project's applies again; clearing the studio's: Monday to Friday
    _schedule(server.db_url, "clear-week", "--user", str(user["id"]))
    assert days(project=project, user=user)["2012-01-02"] == ("PROJECT_WORK_WEEK", True)
    _schedule(server.db_url, "clear-week")
    assert days()["2012-01-07"] == ("STUDIO_WORK_WEEK", False)
    shown = _schedule(server.db_url, "show", "--project", str(project["id"]), "--from", start, "--to", end)
    assert '"reason": "PROJECT_WORK_WEEK"' in shown and '"2012-01-08"' in shown


def test_bad_work_weeks_are_refused_and_change_nothing(start_server: Any) -> None:
    server = start_server()
    runner = CliRunner()
    bad = runner.invoke(main, ["schedule", "set-week", "funday", "--database", server.db_url])
    assert bad.exit_code != 0 and "'funday' is not a weekday" in bad.output
    both = runner.invoke(
        main, ["schedule", "set-week", "mon", "--project", "1", "--user", "1", "--database", server.db_url]
    )
    assert both.exit_code != 0 and "a project or a user, not both" in both.output
    missing = runner.invoke(
        main, ["schedule", "set-week", "mon", "--project", "999999", "--database", server.db_url]
    )
    assert missing.exit_code != 0 and "999999" in missing.output
    nobody = runner.invoke(main, ["schedule", "show", "--user", "no-such-login", "--database", server.db_url])
    assert nobody.exit_code != 0 and "no HumanUser with login 'no-such-login'" in nobody.output
    sg = server.client()
    saturday = sg.work_schedule_read("2012-01-07", "2012-01-07")["2012-01-07"]
    assert (saturday["reason"], saturday["working"]) == ("STUDIO_WORK_WEEK", False)
