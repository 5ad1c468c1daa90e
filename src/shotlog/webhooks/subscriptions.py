"""Which hooks an event goes to. Pure.

``Subscriptions`` is compiled once from the hooks and then asked for every event, so matching a
page of events is dictionary look-ups: entity lifecycle subscriptions and exact event types are
indexed by event type; only wildcard event types are tried one by one.

Rules (FPTR's, webhooks reference §4.6): ``create`` fires on ``Shotgun_<T>_New``, ``update`` on
``Shotgun_<T>_Change`` of the listed fields (every field when the list is empty) but not on changes
written during a create (``meta.in_create``) unless the hook has ``include_in_create``, ``delete``
on ``_Retirement``, ``revive`` on ``_Revival``. A project filter keeps only events of those projects.
A hook never gets events older than itself (``start_event_id``), except by replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

__all__ = ["HookSubscription", "Subscriptions"]

_SUFFIX = {"create": "New", "update": "Change", "delete": "Retirement", "revive": "Revival"}


@dataclass(frozen=True)
class HookSubscription:
    """The parts of a hook that decide what it receives."""

    hook_id: str
    entity_types: Mapping[str, Mapping[str, Sequence[str]]] | None
    event_types: Sequence[str] | None
    projects: Sequence[int] = ()
    include_in_create: bool = False
    start_event_id: int = 0


@dataclass(frozen=True)
class _Rule:
    hook: HookSubscription
    projects: frozenset[int] | None
    #: for update rules: the fields that fire (None = all); for others unused
    fields: frozenset[str] | None
    is_update: bool

    def accepts(self, event: Mapping[str, Any]) -> bool:
        if event["id"] <= self.hook.start_event_id:
            return False
        if self.projects is not None and event.get("project_id") not in self.projects:
            return False
        if self.is_update:
            meta = event.get("meta")
            if isinstance(meta, Mapping) and meta.get("in_create") and not self.hook.include_in_create:
                return False
            if self.fields is not None and event.get("attribute_name") not in self.fields:
                return False
        return True


class Subscriptions:
    def __init__(self, hooks: Iterable[HookSubscription]) -> None:
        self._exact: dict[str, list[_Rule]] = {}
        self._patterns: list[tuple[str, _Rule]] = []
        for hook in hooks:
            projects = frozenset(hook.projects) if hook.projects else None
            for etype, actions in (hook.entity_types or {}).items():
                for action, fields in actions.items():
                    is_update = action == "update"
                    rule = _Rule(
                        hook, projects, frozenset(fields) if is_update and fields else None, is_update
                    )
                    self._exact.setdefault(f"Shotgun_{etype}_{_SUFFIX[action]}", []).append(rule)
            for name in hook.event_types or ():
                rule = _Rule(hook, projects, None, False)
                if any(c in name for c in "*?["):
                    self._patterns.append((name, rule))
                else:
                    self._exact.setdefault(name, []).append(rule)

    def __bool__(self) -> bool:
        return bool(self._exact or self._patterns)

    def match(self, event: Mapping[str, Any]) -> list[str]:
        """The ids of the hooks that receive ``event`` (a raw event-log row), each once, in hook order."""
        event_type = event["event_type"]
        hits: dict[str, None] = {}
        for rule in self._exact.get(event_type, ()):
            if rule.accepts(event):
                hits[rule.hook.hook_id] = None
        for pattern, rule in self._patterns:
            if rule.hook.hook_id not in hits and fnmatchcase(event_type, pattern) and rule.accepts(event):
                hits[rule.hook.hook_id] = None
        return list(hits)
