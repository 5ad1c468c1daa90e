"""Changing permission rule sets' rules: for user administrators (``may_administer_users``), from
the CLI, the web UI's admin page and anything else that holds the store.

Each change replaces one rule (or removes it, so the next less specific rule applies) in its own
transaction, with FPTR's event for it (``Shotgun_PermissionRuleSet_NewRule``, ``_ChangeRule`` or
``_DeleteRule``) in the same one; every process applies it within the rule book's refresh (a second).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shotlog.access.authority import Authority, may_administer_users
from shotlog.access.rules import CAPABILITIES, Rule, RuleSet
from shotlog.clock import utcnow_seconds
from shotlog.errors import NotFound, PermissionDenied, ValidationError
from shotlog.eventlog import log
from shotlog.eventlog.events import EventBuilder, PendingEvent
from shotlog.store.permission_rules import RULE_SET_TYPE, replace_rule, rulebook

__all__ = ["RuleChange", "change_rule", "find_rule_set", "rule_change_from", "rule_sets", "target_of"]


@dataclass(frozen=True, slots=True)
class RuleChange:
    """Set ``allowed`` (None: remove the rule) for ``operation`` on ``entity_type``[.``field``];
    ``entity_type`` ``*`` is every type, empty a capability of the site."""

    rule_set: str
    entity_type: str
    field: str
    operation: str
    allowed: bool | None


def rule_change_event(
    builder: EventBuilder,
    rule_set: tuple[int, str],
    key: tuple[str, str, str],
    old: bool | None,
    new: bool | None,
) -> PendingEvent:
    """One rule of a permission rule set made (``old`` None: FPTR's ``_NewRule``), changed
    (``_ChangeRule``) or removed (``new`` None: ``_DeleteRule``). ``key`` is the rule's entity type
    (``*`` every type, empty the site), field and operation; the values are allowed or refused."""
    set_id, code = rule_set
    entity_type, field_name, operation = key
    kind = "NewRule" if old is None else "DeleteRule" if new is None else "ChangeRule"
    target = "the site" if not entity_type else f"{entity_type}.{field_name}" if field_name else entity_type
    shown = {None: "default", True: "allowed", False: "refused"}
    return PendingEvent(
        event_type=f"Shotgun_PermissionRuleSet_{kind}",
        description=(
            f"{builder.who} changed the rule of {code} for {operation} on {target} "
            f"from {shown[old]} to {shown[new]}"
        ),
        entity=("PermissionRuleSet", set_id),
        project=None,
        attribute_name=None,
        meta=builder._meta(
            {
                "type": "permission_rule_change",
                "permission_rule_set_id": set_id,
                "permission_rule_set": code,
                "entity_type": entity_type,
                "field": field_name,
                "operation": operation,
                "old_value": shown[old],
                "new_value": shown[new],
            }
        ),
    )


def rule_sets(store: Any) -> list[RuleSet]:
    """Every rule set with its rules, people's first."""
    with store.db.read() as conn:
        return rulebook(store.catalog).all(conn)


def find_rule_set(store: Any, key: str) -> RuleSet:
    """The rule set named ``key`` or of id ``key`` (a URL's part); NotFound names it."""
    for s in rule_sets(store):
        if s.code == key or (key.isascii() and key.isdigit() and s.id == int(key)):
            return s
    raise NotFound(RULE_SET_TYPE, key)


def target_of(rule: Rule) -> str:
    """A rule's target as the CLI and the web form write it: ``site``, ``*``, ``Type`` or ``Type.field``."""
    if not rule.entity_type:
        return "site"
    return f"{rule.entity_type}.{rule.field}" if rule.field else rule.entity_type


def rule_change_from(rule_set: str, values: Mapping[str, Any]) -> RuleChange:
    """A change from a request's values (REST's JSON body, the web form's fields): ``operation``,
    ``entity_type`` (``*`` every type, empty or absent the site), ``field`` (optional) and
    ``allowed`` (true, false, or null to remove the rule); a wrong value names its key."""
    for name in ("entity_type", "field", "operation"):
        value = values.get(name)
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"{name}: a string, got {value!r}", field=name, value=value)
    operation = values.get("operation")
    if not operation:
        raise ValidationError(
            "operation: required (create, read, update, delete or a capability)", field="operation"
        )
    if "allowed" not in values:
        raise ValidationError("allowed: required (true, false, or null to remove the rule)", field="allowed")
    allowed = values["allowed"]
    if allowed is not None and not isinstance(allowed, bool):
        raise ValidationError(
            f"allowed: true, false or null (remove the rule), got {allowed!r}", field="allowed", value=allowed
        )
    return RuleChange(
        rule_set, values.get("entity_type") or "", values.get("field") or "", operation, allowed
    )


def change_rule(store: Any, who: Authority, change: RuleChange) -> RuleSet:
    """Apply ``change`` for ``who`` (``store`` the view acting for it, whose user the event names);
    returns the set as it is now. A refusal names the part at fault; a change to what the rule
    already is writes nothing."""
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
    actor = store.actor
    at = utcnow_seconds()
    with store.db.write() as conn:
        book.forget()  # the rule as it is now, not as this process last read it
        found = book.by_code(conn, change.rule_set)
        if found is None or found.id is None:
            raise NotFound(RULE_SET_TYPE, change.rule_set)
        key = (change.entity_type, change.field, change.operation)
        old = next((r.allowed for r in found.rules if (r.entity_type, r.field, r.operation) == key), None)
        rule = None if change.allowed is None else Rule(*key, change.allowed)
        if old != change.allowed:
            replace_rule(conn, found.id, rule, key)
            if actor.generates_events:
                event = rule_change_event(
                    EventBuilder(actor), (found.id, found.code), key, old, change.allowed
                )
                log.append(conn, store.db, [event], actor, at)
    book.forget()
    with store.db.read() as conn:
        now = book.by_code(conn, change.rule_set)
    assert now is not None
    return now
