"""Who may do what shotlog guards: administer users, manage webhooks, write shotlog's own events. Pure.

Every way in (api3, REST, the web UI, the Python API as a user, batches) reaches these decisions:
the store's write path asks them for user rows and event rows, the webhook routes and pages ask
them before any webhook operation. Each caller reads the principal (``Authority``) and turns a
refusal into its own error; nothing here does I/O.

A principal's rights are those of its permission rule set (``shotlog.access.rules``): the set the
caller loaded from the database, or, when it loaded none, the default set of that name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shotlog.access.rules import NOTHING, RuleSet, default_set
from shotlog.schema.global_events import FPTR_GLOBAL_EVENT_TYPES

__all__ = [
    "EVENT_TYPE_PREFIX",
    "SHOTLOG",
    "USER_ADMINS",
    "USER_FIELDS",
    "WEBHOOK_MANAGERS",
    "Authority",
    "Refusal",
    "event_type_refusal",
    "is_shotlog_event_type",
    "may_administer_users",
    "may_manage_webhooks",
    "may_sudo",
    "operation_refusal",
    "user_write_refusal",
    "webhook_refusal",
]

#: permission rule sets that may administer users: set passwords and permission sets
USER_ADMINS: dict[str, tuple[str, ...]] = {"HumanUser": ("Admin",), "ApiUser": ("API Admin", "Admin")}
#: permission rule sets that may manage webhooks and read their deliveries (FPTR: "Show Webhooks")
WEBHOOK_MANAGERS: dict[str, tuple[str, ...]] = {
    "HumanUser": ("Admin", "Manager"),
    "ApiUser": ("API Admin", "Admin"),
}
#: fields of a user row that only user administrators write (a password's owner excepted)
USER_FIELDS: dict[str, tuple[str, ...]] = {
    "HumanUser": ("password_proxy", "permission_rule_set"),
    # FPTR keeps a script's key in salted_password; shotlog keeps keys apart from the row, but a
    # schema that declares the field gets the same protection
    "ApiUser": ("salted_password", "permission_rule_set"),
}
#: every event type shotlog writes about entities starts with it (Shotgun_Shot_Change, ...)
EVENT_TYPE_PREFIX = "Shotgun_"
_PASSWORDS = frozenset({"password_proxy", "salted_password"})


@dataclass(frozen=True, slots=True)
class Authority:
    """A principal as these decisions see it.

    ``kind`` is HumanUser or ApiUser; ``shotlog_itself`` is shotlog's own code (the in-process
    default connection, and writes made before any user exists), which may do everything.
    """

    kind: str | None
    id: int | None
    rule_set: str | None
    shotlog_itself: bool = False
    #: the rules of ``rule_set`` as the database holds them (None: the default set of that name)
    rules: RuleSet | None = None

    def ruleset(self) -> RuleSet:
        if self.rules is not None:
            return self.rules
        found = default_set(self.rule_set)
        if found.kind == self.kind:
            return found
        # a script in the people's Admin group was an admin before sets were entities
        return default_set("API Admin") if (self.kind, self.rule_set) == ("ApiUser", "Admin") else NOTHING

    def can(self, capability: str) -> bool:
        return self.shotlog_itself or self.ruleset().can(capability)

    def label(self) -> str:
        if self.shotlog_itself:
            return "shotlog"
        rules = "no permission set" if self.rule_set is None else f"permission set {self.rule_set}"
        return f"{self.kind} {self.id} with {rules}"


SHOTLOG = Authority(None, None, None, shotlog_itself=True)


def may_administer_users(who: Authority) -> bool:
    """Set anyone's password or permission set, create users, sudo as a person."""
    return who.can("administer_users")


def may_sudo(who: Authority) -> bool:
    """Act as a person (api3's ``sudo_as_login``): a script that may administer users, as on FPTR,
    where only API scripts can sudo; a person never can."""
    return who.kind == "ApiUser" and who.can("sudo") and may_administer_users(who)


def may_manage_webhooks(who: Authority) -> bool:
    """List, create, change, test and delete hooks; read, redeliver and acknowledge deliveries."""
    return who.can("manage_webhooks")


def webhook_refusal(who: Authority) -> str | None:
    """Why ``who`` may not manage webhooks, or None when it may."""
    if may_manage_webhooks(who):
        return None
    allowed = " or ".join(WEBHOOK_MANAGERS.get(who.kind or "", ())) or "a manager's"
    return f"Webhooks are for users with the {allowed} permission set; {who.label()} does not have it"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A write refused: the field that caused it and a message naming field, value and principal."""

    field: str
    message: str


def user_write_refusal(
    who: Authority, entity_type: str, entity_id: int | None, values: Mapping[str, object]
) -> Refusal | None:
    """The refusal of the first of ``values`` (new values of that user's fields; ``entity_id``
    None for a new user) that ``who`` may not write, or None when every one is allowed.

    A person may change their own password; anything else among ``USER_FIELDS`` needs the
    permission to administer users. Nobody raises their own permission set: without that
    permission they cannot change it at all, and with it they already hold the highest one.
    """
    guarded = USER_FIELDS.get(entity_type, ())
    if not guarded or may_administer_users(who):
        return None
    own = entity_id is not None and (who.kind, who.id) == (entity_type, entity_id)
    target = f"{entity_type} {entity_id}" if entity_id is not None else f"a new {entity_type}"
    for name, value in values.items():
        if name not in guarded or (own and name in _PASSWORDS):
            continue
        if name in _PASSWORDS:  # never echo a secret
            what = f"setting the password of {target}"
        elif own:
            what = f"changing your own permission set to {_shown(value)}"
        else:
            what = f"setting the permission set of {target} to {_shown(value)}"
        return Refusal(
            name,
            f"{entity_type}.{name}: {what} needs the permission to administer users "
            f"(HumanUser {' or '.join(map(repr, USER_ADMINS['HumanUser']))}, ApiUser "
            f"{' or '.join(map(repr, USER_ADMINS['ApiUser']))}); {who.label()} does not have it",
        )
    return None


def _shown(value: object) -> str:
    """A permission set as a message names it: its name, or a link's type and id (a link whose set
    was not found keeps its (type, id) form here)."""
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]} {value[1]}"
    return repr(value)


def operation_refusal(
    who: Authority, operation: str, entity_type: str, entity_id: int | None, fields: Iterable[str] = ()
) -> Refusal | None:
    """Why ``who`` may not ``operation`` (create, update, delete, revive) an entity of ``entity_type``
    setting ``fields``, or None when the rule set allows it.

    A person who may not administer users updates only their own HumanUser row, whatever the rules
    say of HumanUser: a rule set names types, and nobody's row is anyone else's to change.
    """
    if who.shotlog_itself:
        return None
    rules = who.ruleset()
    op = "delete" if operation == "revive" else operation
    if not rules.may(op, entity_type):
        return Refusal(
            "",
            f"{operation} {entity_type}: the permission set {who.rule_set or '(none)'} does not allow it; "
            f"{who.label()} may not {operation} {entity_type} entities",
        )
    if (
        entity_type in USER_FIELDS
        and operation != "create"
        and (who.kind, who.id) != (entity_type, entity_id)
        and not may_administer_users(who)
    ):
        return Refusal(
            "",
            f"{operation} {entity_type} {entity_id}: only the user themself or a user administrator may; "
            f"{who.label()} is neither",
        )
    if op in ("create", "update"):
        for name in rules.refused_writes(entity_type, fields, created=op == "create"):
            return Refusal(
                name,
                f"{entity_type}.{name} is read-only for the permission set {who.rule_set or '(none)'}; "
                f"{who.label()} may not set it",
            )
    return None


def is_shotlog_event_type(event_type: str) -> bool:
    """Whether shotlog writes events of this type itself (entity changes, FPTR's global events)."""
    return event_type.startswith(EVENT_TYPE_PREFIX) or event_type in FPTR_GLOBAL_EVENT_TYPES


def event_type_refusal(who: Authority, event_type: str, *, builtin: bool = False) -> str | None:
    """Why ``who`` may not create an EventLogEntry of ``event_type``, or None when it may.

    Types shotlog writes itself are shotlog's: a forged ``Shotgun_Shot_Change`` would reach every
    webhook and plugin as if the Shot had changed. No permission set grants them yet; shotlog's
    own code writes them (``builtin``: an event of an operation shotlog performs, attributed to
    the user who asked for it). Toolkit's and other custom types stay open to everyone.
    """
    if builtin or who.shotlog_itself or not is_shotlog_event_type(event_type):
        return None
    return (
        f"EventLogEntry.event_type {event_type!r} is a type shotlog writes itself; "
        f"{who.label()} may not create it (custom event types such as Toolkit_* stay allowed)"
    )
