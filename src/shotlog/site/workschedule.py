"""Work schedules: which days are working days for the studio, a project or a user.

A day follows the work week of the most specific level that has one (a user's, a project's, the
studio's: Monday to Friday unless set) unless a WorkDayRule makes it an exception. The most specific
level that says anything about a day decides, and within a level an exception beats the work week.
FPTR sets work weeks in its web pages, not through the API; shotlog sets them with
``shotlog schedule week``. Exceptions are
WorkDayRule entities, so changing one writes the usual ``Shotgun_WorkDayRule_New``/``_Change``
events. ``day_rule`` is the pure decision; ``read_schedule`` and ``update_day`` do the reads and
writes through the Python API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shotlog.errors import NotFound, ValidationError
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = [
    "MAX_DAYS",
    "STUDIO_WORK_WEEK",
    "WEEKDAYS",
    "day_rule",
    "parse_date",
    "parse_week",
    "read_schedule",
    "read_week",
    "set_week",
    "update_day",
]

#: ISO weekdays (Monday = 1) the studio works
STUDIO_WORK_WEEK = frozenset({1, 2, 3, 4, 5})
#: the longest range one read may cover
MAX_DAYS = 3660
_RULE_FIELDS = ["date", "working", "description", "project", "user"]


def parse_date(value: Any, name: str) -> dt.date:
    if isinstance(value, str) and len(value) == 10:  # fromisoformat alone also takes "20240102"
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(f"{name} must be a date as YYYY-MM-DD, got {value!r}", field=name, value=value)


def day_rule(
    day: dt.date,
    exceptions: Mapping[str, Mapping[str, Any]],
    weeks: Mapping[str, frozenset[int]] | None = None,
) -> dict[str, Any]:
    """The rule for ``day``. ``exceptions`` maps "user", "project" and "studio" to that level's
    WorkDayRule for this day, where there is one; ``weeks`` maps them to that level's work week
    (ISO weekdays), where one is set. The most specific level that says anything decides, and at
    one level an exception beats the work week: user, then project, then studio."""
    weeks = weeks or {}
    for level in ("user", "project", "studio"):
        rule = exceptions.get(level)
        if rule is not None:
            return {
                "description": rule.get("description"),
                "reason": f"{level.upper()}_EXCEPTION",
                "working": bool(rule.get("working")),
            }
        week = weeks.get(level)
        if week is not None:
            return {
                "description": None,
                "reason": f"{level.upper()}_WORK_WEEK",
                "working": day.isoweekday() in week,
            }
    return {
        "description": None,
        "reason": "STUDIO_WORK_WEEK",
        "working": day.isoweekday() in STUDIO_WORK_WEEK,
    }


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: the stored scope of each level: the studio is one row, projects and users one each
_SCOPE_TYPES = {"studio": "studio", "project": "Project", "user": "HumanUser"}


def parse_week(days: Any) -> frozenset[int]:
    """A work week from weekday names (``["monday", "tue", ...]``, any case, at least 3 letters)."""
    if not isinstance(days, list | tuple) or not all(isinstance(d, str) for d in days):
        raise ValidationError(
            f"a work week is a list of weekday names, got {days!r}", field="days", value=days
        )
    out: set[int] = set()
    for name in days:
        word = name.strip().lower()
        matches = [i for i, full in enumerate(WEEKDAYS, 1) if len(word) >= 3 and full.startswith(word)]
        if len(matches) != 1:
            raise ValidationError(f"{name!r} is not a weekday (monday ... sunday)", field="days", value=name)
        out.add(matches[0])
    return frozenset(out)


def read_week(sg: Shotlog, project: Any = None, user: Any = None) -> dict[str, Any]:
    """The work week that applies at a level (``user`` beats ``project`` beats the studio's) and where
    it comes from: ``{"days": [...names], "reason": "PROJECT_WORK_WEEK", ...}``."""
    project_link, user_link = _links(sg, project, user)
    weeks = _weeks(sg, project_link, user_link)
    for level in ("user", "project", "studio"):
        if level in weeks:
            return {
                "days": [WEEKDAYS[d - 1] for d in sorted(weeks[level])],
                "reason": f"{level.upper()}_WORK_WEEK",
            }
    return {"days": [WEEKDAYS[d - 1] for d in sorted(STUDIO_WORK_WEEK)], "reason": "STUDIO_WORK_WEEK"}


def set_week(sg: Shotlog, days: Any, project: Any = None, user: Any = None) -> None:
    """Set the studio's work week, or a project's or a user's; ``days`` None removes a project's or
    user's own week (it follows the studio's again) or restores the studio's default."""
    week = None if days is None else parse_week(days)
    scope = _scope(*_links(sg, project, user, "a work week belongs to"))

    def work(tx: Any) -> None:
        sitestate.write_work_week(tx.conn, scope, week, tx.now)

    sg._write(work)


def _links(
    sg: Shotlog, project: Any, user: Any, one_level: str | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The project and user links of a request, each checked to exist. With ``one_level`` (the start
    of the refusal's sentence), the request applies at one level only: the studio (neither), a
    project or a user, not both."""
    project_link, user_link = _link(project, "Project", "project"), _link(user, "HumanUser", "user")
    if one_level is not None and project_link is not None and user_link is not None:
        raise ValidationError(f"{one_level} a project or a user, not both", field="project", value=project)
    _existing(sg, project_link)
    _existing(sg, user_link)
    return project_link, user_link


def _scope(project: dict[str, Any] | None, user: dict[str, Any] | None) -> tuple[str, int]:
    if user is not None:
        return (_SCOPE_TYPES["user"], int(user["id"]))
    if project is not None:
        return (_SCOPE_TYPES["project"], int(project["id"]))
    return (_SCOPE_TYPES["studio"], 0)


def _weeks(
    sg: Shotlog, project: dict[str, Any] | None, user: dict[str, Any] | None
) -> dict[str, frozenset[int]]:
    """The work weeks stored for the studio and the given project and user, by level."""
    scopes = {"studio": _scope(None, None)}
    if project is not None:
        scopes["project"] = _scope(project, None)
    if user is not None:
        scopes["user"] = _scope(None, user)
    with sg.db.read() as conn:
        stored = sitestate.read_work_weeks(conn, scopes.values())
    return {level: stored[scope] for level, scope in scopes.items() if scope in stored}


def _link(value: Any, entity_type: str, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if (
        not isinstance(value, Mapping)
        or value.get("type") != entity_type
        or isinstance(value.get("id"), bool)
        or not isinstance(value.get("id"), int)
    ):
        raise ValidationError(f"{name} must be a {entity_type} link {{type, id}}, got {value!r}", field=name)
    return {"type": entity_type, "id": value["id"]}


def _existing(sg: Shotlog, link: dict[str, Any] | None) -> None:
    if link is not None and sg.find_one(link["type"], [["id", "is", link["id"]]]) is None:
        raise NotFound(link["type"], link["id"])


def read_schedule(sg: Shotlog, start: Any, end: Any, project: Any = None, user: Any = None) -> dict[str, Any]:
    """``work_schedule_read``: every date from ``start`` to ``end`` inclusive → its rule."""
    first, last = parse_date(start, "start_date"), parse_date(end, "end_date")
    if last < first:
        raise ValidationError(f"end_date {end!r} is before start_date {start!r}", field="end_date", value=end)
    if (last - first).days >= MAX_DAYS:
        raise ValidationError(
            f"end_date {end!r} is {MAX_DAYS} or more days after start_date {start!r}: "
            f"one read covers at most {MAX_DAYS} days",
            field="end_date",
            value=end,
        )
    project_link, user_link = _links(sg, project, user)
    levels: list[Any] = [["project", "is", None], ["user", "is", None]]  # studio-wide rules
    if project_link is not None:
        levels = [
            {
                "filter_operator": "any",
                "filters": [
                    {"filter_operator": "all", "filters": [["project", "is", None], ["user", "is", None]]},
                    ["project", "is", project_link],
                    *([["user", "is", user_link]] if user_link else []),
                ],
            }
        ]
    elif user_link is not None:
        levels = [
            {
                "filter_operator": "any",
                "filters": [
                    {"filter_operator": "all", "filters": [["project", "is", None], ["user", "is", None]]},
                    ["user", "is", user_link],
                ],
            }
        ]
    rules = sg.find(
        "WorkDayRule",
        [["date", "between", [first.isoformat(), last.isoformat()]], *levels],
        _RULE_FIELDS,
        order=[{"field_name": "id", "direction": "asc"}],
    )
    by_day: dict[str, dict[str, Mapping[str, Any]]] = {}
    for rule in rules:
        level = "user" if rule.get("user") else "project" if rule.get("project") else "studio"
        by_day.setdefault(str(rule["date"]), {})[level] = rule
    weeks = _weeks(sg, project_link, user_link)
    out: dict[str, Any] = {}
    day = first
    while day <= last:
        out[day.isoformat()] = day_rule(day, by_day.get(day.isoformat(), {}), weeks)
        day += dt.timedelta(days=1)
    return out


def update_day(
    sg: Shotlog,
    date: Any,
    working: Any,
    description: Any = None,
    project: Any = None,
    user: Any = None,
    recalculate_field: Any = None,
) -> dict[str, Any]:
    """``work_schedule_update``: make ``date`` a (non-)working day for the studio, a project or a user."""
    day = parse_date(date, "date")
    if not isinstance(working, bool):
        raise ValidationError(
            f"working must be true or false, got {working!r}", field="working", value=working
        )
    if description is not None and not isinstance(description, str):
        raise ValidationError(f"description must be text, got {description!r}", field="description")
    if recalculate_field not in (None, "due_date", "duration"):
        raise ValidationError(
            f"recalculate_field must be due_date or duration, got {recalculate_field!r}",
            field="recalculate_field",
            value=recalculate_field,
        )
    project_link, user_link = _links(sg, project, user, "work_schedule_update takes")
    data: dict[str, Any] = {"working": working, "description": description}
    if recalculate_field is not None:
        data["recalculate_field"] = recalculate_field
    same = sg.find_one(
        "WorkDayRule",
        [["date", "is", day.isoformat()], ["project", "is", project_link], ["user", "is", user_link]],
        ["id"],
    )
    if same is None:
        sg.create(
            "WorkDayRule", {"date": day.isoformat(), "project": project_link, "user": user_link, **data}
        )
    else:
        sg.update("WorkDayRule", same["id"], data)
    return {
        "date": day.isoformat(),
        "description": description,
        "project": project,
        "user": user,
        "working": working,
    }
