"""Changing permission rule sets' rules: for user administrators (``may_administer_users``), from
the CLI, the web UI's admin page and anything else that holds the store.

Each change replaces one rule (or removes it, so the next less specific rule applies) in its own
transaction; every process applies it within the rule book's refresh (a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shotlog.access.authority import Authority, may_administer_users
from shotlog.access.rules import CAPABILITIES, Rule, RuleSet
from shotlog.errors import NotFound, PermissionDenied, ValidationError
from shotlog.store.permission_rules import RULE_SET_TYPE, replace_rule, rulebook

__all__ = ["RuleChange", "change_rule", "rule_sets"]


@dataclass(frozen=True, slots=True)
class RuleChange:
    """Set ``allowed`` (None: remove the rule) for ``operation`` on ``entity_type``[.``field``];
    ``entity_type`` ``*`` is every type, empty a capability of the site."""

    rule_set: str
    entity_type: str
    field: str
    operation: str
    allowed: bool | None


def rule_sets(store: Any) -> list[RuleSet]:
    """Every rule set with its rules, people's first."""
    with store.db.read() as conn:
        return rulebook(store.catalog).all(conn)


def change_rule(store: Any, who: Authority, change: RuleChange) -> RuleSet:
    """Apply ``change`` for ``who``; returns the set as it is now. A refusal names the part at fault."""
    if not may_administer_users(who):
        raise PermissionDenied(
            f"Changing the rules of {change.rule_set!r} needs the permission to administer users; "
            f"{who.label()} does not have it",
            entity_type=RULE_SET_TYPE,
        )
    schema = store.catalog.schema
    if change.entity_type not in ("", "*") and not schema.has_entity(change.entity_type):
        raise ValidationError(
            f"entity_type: there is no entity type {change.entity_type!r}",
            field="entity_type",
            value=change.entity_type,
        )
    if change.field and change.entity_type in ("", "*"):
        raise ValidationError(
            f"field: a field rule names its entity type, got {change.entity_type or '(site)'!r}",
            field="field",
            value=change.field,
        )
    if change.field and not schema.has_field(change.entity_type, change.field):
        raise ValidationError(
            f"field: {change.entity_type} has no field {change.field!r}", field="field", value=change.field
        )
    if change.entity_type == "" and change.operation not in CAPABILITIES:
        raise ValidationError(
            f"operation: a site rule is one of {', '.join(CAPABILITIES)}, got {change.operation!r}",
            field="operation",
            value=change.operation,
        )
    book = rulebook(store.catalog)
    with store.db.write() as conn:
        found = book.by_code(conn, change.rule_set)
        if found is None or found.id is None:
            raise NotFound(RULE_SET_TYPE, change.rule_set)
        key = (change.entity_type, change.field, change.operation)
        rule = None if change.allowed is None else Rule(*key, change.allowed)
        replace_rule(conn, found.id, rule, key)
    book.forget()
    with store.db.read() as conn:
        now = book.by_code(conn, change.rule_set)
    assert now is not None
    return now
