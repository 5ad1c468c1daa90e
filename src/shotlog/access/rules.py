"""Permission rule sets: what each one allows, and the decisions made from them. Pure.

A rule set (FPTR's "permission group", the ``PermissionRuleSet`` entity a user's
``permission_rule_set`` links to) is a list of rules. A rule allows or refuses one operation:

* on an entity type: ``create``, ``read``, ``update``, ``delete`` (``entity_type`` ``*`` for every type);
* on one field: ``read`` (refused: the field is hidden) or ``update`` (refused: the field is read-only);
* on the site (``entity_type`` empty): a capability such as ``administer_users``, ``manage_webhooks``,
  ``sudo``, ``edit_schema``, ``manage_daemon``, ``read_archive``, ``see_all_projects``.

The most specific rule wins (field, then type, then ``*``); with none, the operation is refused.
The store loads the rules from the ``permission_rules`` table (``shotlog.store.permission_rules``);
``DEFAULT_SETS`` are the sets a new database starts with, and what a principal gets whose set the
caller did not load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "CAPABILITIES",
    "DEFAULT_SETS",
    "NOTHING",
    "OPERATIONS",
    "Rule",
    "RuleSet",
    "default_set",
    "site_types",
]

OPERATIONS = ("create", "read", "update", "delete")
CAPABILITIES = (
    "administer_users",  # set passwords and permission sets, create people, edit rule sets
    "manage_webhooks",  # webhooks and their deliveries (FPTR: "Show Webhooks")
    "sudo",  # act as a person (api3's sudo_as_login); only scripts may, as on FPTR
    "edit_schema",  # create, change and retire fields and entity types
    "manage_daemon",  # pause, resume and replay event daemon plugins
    "read_archive",  # the archive's segments and downloads
    "see_all_projects",  # without it, only projects whose Users name the person are visible
)
#: types whose rows are the studio's configuration, not production data
_SITE_TYPES = (
    "HumanUser",
    "ApiUser",
    "Group",
    "Department",
    "PermissionRuleSet",
    "Step",
    "TaskTemplate",
    "PublishedFileType",
    "LocalStorage",
    "Software",
    "Status",
    "ActionMenuItem",
    "WorkDayRule",
)
#: what an artist makes in a day's work (Toolkit's publishes and its path cache included)
_ARTIST_WORK = (
    "Version",
    "PublishedFile",
    "PublishedFileDependency",
    "Note",
    "Reply",
    "Attachment",
    "TimeLog",
    "FilesystemLocation",
    "Tag",
    "Ticket",
    "Playlist",
    "EventLogEntry",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """Allow or refuse ``operation`` on ``entity_type`` (``*``: every type; empty: the site) and,
    when ``field`` is given, on that field only."""

    entity_type: str
    field: str
    operation: str
    allowed: bool


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One permission rule set: its code (the name users see), whom it is for, and its rules."""

    code: str
    kind: str  # HumanUser or ApiUser
    rules: tuple[Rule, ...] = ()
    id: int | None = None
    _index: dict[tuple[str, str, str], bool] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for r in self.rules:
            self._index[(r.entity_type, r.field, r.operation)] = r.allowed

    def may(self, operation: str, entity_type: str) -> bool:
        """Whether ``operation`` is allowed on ``entity_type`` as a whole."""
        found = self._index.get((entity_type, "", operation))
        if found is None:
            found = self._index.get(("*", "", operation), False)
        return found

    def may_field(self, operation: str, entity_type: str, name: str) -> bool:
        """Whether ``operation`` (read or update) is allowed on one field of ``entity_type``."""
        found = self._index.get((entity_type, name, operation))
        return self.may(operation, entity_type) if found is None else found

    def can(self, capability: str) -> bool:
        return self._index.get(("", "", capability), False)

    def hidden_fields(self, entity_type: str) -> frozenset[str]:
        """Fields of ``entity_type`` this set may not read."""
        return frozenset(
            f for (t, f, op), ok in self._index.items() if t == entity_type and f and op == "read" and not ok
        )

    def refused_writes(self, entity_type: str, names: Iterable[str], *, created: bool = False) -> list[str]:
        """Those of ``names`` this set may not write on ``entity_type``: read-only or hidden fields.
        A create is refused only the fields a rule names (a set may create what it may not update)."""
        if created:
            return [
                n
                for n in names
                if self._index.get((entity_type, n, "update")) is False
                or self._index.get((entity_type, n, "read")) is False
            ]
        return [
            n
            for n in names
            if not (self.may_field("update", entity_type, n) and self.may_field("read", entity_type, n))
        ]


def _rules(
    *,
    crud: Mapping[str, str] = {},
    capabilities: Iterable[str] = (),
    fields: Iterable[tuple[str, str, str, bool]] = (),
) -> tuple[Rule, ...]:
    """Rules from a compact form: ``crud`` maps a type (or ``*``) to the letters it allows."""
    out = []
    for etype, letters in crud.items():
        for op in OPERATIONS:
            out.append(Rule(etype, "", op, op[0] in letters))
    out.extend(Rule("", "", c, True) for c in capabilities)
    out.extend(Rule(t, f, op, ok) for t, f, op, ok in fields)
    return tuple(out)


def _only(types: Iterable[str], letters: str) -> dict[str, str]:
    return dict.fromkeys(types, letters)


#: people's private details that restricted outsiders do not see
_PRIVATE = [("HumanUser", "email", "read", False), ("HumanUser", "locked_until", "read", False)]

DEFAULT_SETS: tuple[RuleSet, ...] = (
    RuleSet("Admin", "HumanUser", _rules(crud={"*": "crud"}, capabilities=CAPABILITIES)),
    RuleSet(
        "Manager",
        "HumanUser",
        _rules(
            crud={"*": "crud", **_only(("ApiUser", "PermissionRuleSet"), "r"), "HumanUser": "ru"},
            capabilities=("manage_webhooks", "read_archive", "see_all_projects"),
        ),
    ),
    RuleSet(
        "Artist",
        "HumanUser",
        _rules(
            # production data is edited by artists (statuses, descriptions), never made or removed
            # by them; the studio's configuration only read
            crud={"*": "ru", **_only(_SITE_TYPES, "r"), "Project": "r", "HumanUser": "ru"}
            | _only(_ARTIST_WORK, "cru")
            | _only(("Note", "Reply", "Attachment", "TimeLog", "FilesystemLocation"), "crud"),
            capabilities=("see_all_projects",),
        ),
    ),
    RuleSet(
        "Vendor",
        "HumanUser",
        _rules(
            crud={
                "*": "r",
                **_only(("Version", "PublishedFile", "Note", "Reply", "Attachment", "TimeLog"), "cru"),
            }
            | {"Task": "ru", "HumanUser": "ru", "EventLogEntry": "cr"},  # Toolkit's events too
            fields=[*_PRIVATE, ("Task", "content", "update", False)],
        ),
    ),
    RuleSet(
        "Client",
        "HumanUser",
        _rules(
            crud={"*": "r", **_only(("Note", "Reply", "Attachment"), "cr"), "HumanUser": "ru"},
            fields=_PRIVATE,
        ),
    ),
    RuleSet("API Admin", "ApiUser", _rules(crud={"*": "crud"}, capabilities=CAPABILITIES)),
    RuleSet(
        "API User",
        "ApiUser",
        _rules(
            crud={"*": "crud", **_only(("HumanUser", "ApiUser", "PermissionRuleSet"), "r")},
            capabilities=("manage_daemon", "see_all_projects"),
        ),
    ),
    RuleSet("API Read Only", "ApiUser", _rules(crud={"*": "r"}, capabilities=("see_all_projects",))),
)
_BY_CODE = {s.code: s for s in DEFAULT_SETS}
#: a set that allows nothing: a user without one, or with a set no one defined
NOTHING = RuleSet("", "")


def default_set(code: str | None) -> RuleSet:
    """The default set named ``code``, or a set that allows nothing."""
    return _BY_CODE.get(code or "", NOTHING)


def site_types() -> tuple[str, ...]:
    return _SITE_TYPES
