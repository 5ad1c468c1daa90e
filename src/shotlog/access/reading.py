"""What a principal may read: the conditions added to its queries and the fields taken out of
their rows. Pure: the store hands in the principal's rule set and, for a set without
``see_all_projects``, the projects the person belongs to (``Project.users``).

Every read of entities goes through it (``Shotlog.find``, ``find_page``, ``summarize``), and so do
the event log's reads through the API: an event is visible when the entity and project it is about
are. A query for a type the set may not read matches nothing, as a query that found nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shotlog.access.rules import RuleSet

__all__ = ["ReadAccess", "hidden_path"]

Group = dict[str, Any]
#: a condition no row meets (every row has an id)
_NOTHING: Group = {"path": "id", "relation": "is", "values": [None]}


@dataclass(frozen=True, slots=True)
class ReadAccess:
    """The read side of one principal's rule set.

    ``projects`` is None when the set sees every project, else the ids of the person's projects;
    ``project_scoped`` names the entity types that belong to a project (a ``project`` field)."""

    rules: RuleSet
    projects: tuple[int, ...] | None
    project_scoped: frozenset[str]
    all_types: frozenset[str]

    def conditions(self, entity_type: str) -> list[Group]:
        """The conditions a query on ``entity_type`` gets, all of which a row must meet."""
        if not self.rules.may("read", entity_type):
            return [_NOTHING]
        out: list[Group] = []
        if entity_type == "EventLogEntry":
            unreadable = sorted(t for t in self.all_types if not self.rules.may("read", t))
            for t in unreadable:  # events about entities the set may not read at all
                out.append({"path": "entity", "relation": "type_is_not", "values": [t]})
            if self.projects is not None:
                out.append(self._events_in_projects())
            return out
        if self.projects is None:
            return out
        if entity_type == "Project":
            out.append(self._ids(self.projects))
        elif entity_type in self.project_scoped:
            out.append(self._in_projects("project"))
        return out

    def _ids(self, ids: Sequence[int]) -> Group:
        return {"path": "id", "relation": "in", "values": list(ids)} if ids else _NOTHING

    def _in_projects(self, path: str) -> Group:
        assert self.projects is not None
        if not self.projects:
            return _NOTHING
        return {
            "path": path,
            "relation": "in",
            "values": [{"type": "Project", "id": i} for i in self.projects],
        }

    def _events_in_projects(self) -> Group:
        """Only the events of the person's projects. Events outside any project (people, scripts,
        the schema, sign-ins) are the site's, not a project member's; leaving them out also keeps
        the condition to one indexed column: an OR with a second one made SQLite sort the whole
        log for a newest-first page (25 ms for 100 events of a 10,000-event log, against 1 ms)."""
        return self._in_projects("project")

    def scope(self, entity_type: str, filters: Group) -> Group:
        """``filters`` with this principal's conditions; refuses a filter on a hidden field."""
        for path in _paths(filters):
            hidden = hidden_path(self.rules, entity_type, path)
            if hidden is not None:
                from shotlog.errors import PermissionDenied

                raise PermissionDenied(
                    f"{hidden}: the field is hidden from the permission set {self.rules.code or '(none)'}; "
                    f"a filter on {path!r} is not allowed",
                    entity_type=entity_type,
                    field=path,
                )
        extra = self.conditions(entity_type)
        if not extra:
            return filters
        return {"logical_operator": "and", "conditions": [filters, *extra]}

    def strip(self, entity_type: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` without the fields (and dotted paths ending in fields) the set may not read."""
        if not rows:
            return rows
        keys = [k for k in rows[0] if k not in ("type", "id")]
        gone = [k for k in keys if hidden_path(self.rules, entity_type, k) is not None]
        if not gone:
            return rows
        for row in rows:
            for k in gone:
                row.pop(k, None)
        return rows


def hidden_path(rules: RuleSet, entity_type: str, path: str) -> str | None:
    """The field (``Type.field``) along ``path`` that ``rules`` hide, or None when all are readable.

    A path is ``field`` or ``field.Type.field...`` (a deep link)."""
    parts = path.split(".")
    current = entity_type
    for index in range(0, len(parts), 2):
        name = parts[index]
        if not rules.may_field("read", current, name):
            return f"{current}.{name}"
        if index + 1 < len(parts):
            current = parts[index + 1]
    return None


def _paths(group: Mapping[str, Any]) -> Iterable[str]:
    for c in group.get("conditions", ()):
        if "conditions" in c:
            yield from _paths(c)
        elif isinstance(c.get("path"), str):
            yield c["path"]
