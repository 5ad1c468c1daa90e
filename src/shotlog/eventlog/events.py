"""Building EventLogEntry rows: entity changes, back-references, retirements; sign-ins, hooks, keys.

Pure: no database, no clock. The shapes follow FPTR (event_type naming, ``meta`` per change kind,
``in_create`` on the changes a create writes, back-reference changes on reverse fields). A
``PendingEvent`` has no id yet: ids are assigned when the transaction appends its events
(``shotlog.eventlog.log.append``), which is also where a back-reference learns the id of the change
it mirrors. What a change set's events are is decided in one call, ``shotlog.eventlog.changes``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from shotlog.schema.model import Field
from shotlog.store.subjects import DISPLAY_COLUMN, Actor, LinkInfo, Subject, display_column_id
from shotlog.values import Thumbnail, format_meta_value, meta_datetime

__all__ = [
    "DISPLAY_COLUMN",
    "Actor",
    "EventBuilder",
    "LinkInfo",
    "PendingEvent",
    "Subject",
    "display_column_id",
    "failed_login_event",
    "folded_failed_login_event",
    "login_event",
    "logout_event",
    "password_change_event",
    "script_key_event",
    "shown",
    "webhook_event",
]


@dataclass(slots=True)
class PendingEvent:
    event_type: str
    description: str | None
    entity: tuple[str, int] | None
    project: tuple[str, int] | None
    attribute_name: str | None
    meta: dict[str, Any] | None
    #: a back-reference points at the change it mirrors; its id fills original_event_log_entry_id
    original: PendingEvent | None = None
    id: int | None = field(default=None)
    user: tuple[str, int] | None = None
    session_uuid: str | None = None
    created_at: dt.datetime | None = None


def shown(value: Any) -> str:
    """A value as an event's description quotes it (a link by its name)."""
    if value is None:
        return ""
    if isinstance(value, LinkInfo):
        return value.name or f"{value.type} #{value.id}"
    if isinstance(value, dict) and "type" in value and "id" in value:
        return str(value.get("name") or f"{value['type']} #{value['id']}")
    if isinstance(value, dt.datetime):
        return meta_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _names(items: list[LinkInfo]) -> str:
    return ", ".join(f'"{shown(i)}"' for i in items)


class EventBuilder:
    """Builds the events of one write, attributed to one actor."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.who = actor.name or (f"{actor.type} #{actor.id}" if actor.type else "shotlog")

    def _meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        if self.actor.sudo_actual is not None:
            meta["sudo_actual_user"] = self.actor.sudo_actual.link()
        return meta

    def _on(self, subject: Subject) -> str:
        return f"{subject.etype.display_name} {subject.name or f'#{subject.id}'}"

    def new_entity(self, subject: Subject) -> PendingEvent:
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_New",
            description=f"{self.who} created new {self._on(subject)}",
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=None,
            meta=self._meta(
                {"type": "new_entity", "entity_type": subject.etype.name, "entity_id": subject.id}
            ),
        )

    def scalar_change(
        self, subject: Subject, fld: Field, old: Any, new: Any, *, in_create: bool = False
    ) -> PendingEvent:
        """A change of a column or single-entity field; link values are LinkInfo or None."""
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": fld.name,
            "entity_type": subject.etype.name,
            "entity_id": subject.id,
            "field_data_type": fld.data_type,
            "old_value": old.link() if isinstance(old, LinkInfo) else format_meta_value(fld, old),
            "new_value": new.link() if isinstance(new, LinkInfo) else format_meta_value(fld, new),
        }
        if fld.data_type == "image":
            # FPTR's pair: the upload is logged transient, then again when its renditions exist
            thumb = Thumbnail.parse(new)
            meta["is_transient"] = thumb is not None and thumb.pending
        if in_create:
            meta["in_create"] = True
            text = (
                f'{self.who} set "{fld.display_name}" to "{shown(meta["new_value"])}" on {self._on(subject)}'
            )
        else:
            text = (
                f'{self.who} changed "{fld.display_name}" from "{shown(meta["old_value"])}" '
                f'to "{shown(meta["new_value"])}" on {self._on(subject)}'
            )
        if fld.data_type == "password":
            text = f'{self.who} changed "{fld.display_name}" on {self._on(subject)}'
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=text,
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=fld.name,
            meta=self._meta(meta),
        )

    def multi_change(
        self,
        subject: Subject,
        fld: Field,
        added: list[LinkInfo],
        removed: list[LinkInfo],
        *,
        in_create: bool = False,
    ) -> PendingEvent:
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": fld.name,
            "entity_type": subject.etype.name,
            "entity_id": subject.id,
            "field_data_type": fld.data_type,
            "added": [a.meta_item() for a in added],
            "removed": [r.meta_item() for r in removed],
        }
        if in_create:
            meta["in_create"] = True
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=self._delta_text(fld.display_name, subject, added, removed),
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=fld.name,
            meta=self._meta(meta),
        )

    def tags_change(
        self, subject: Subject, fld: Field, added: list[str], removed: list[str], *, in_create: bool = False
    ) -> PendingEvent:
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": fld.name,
            "entity_type": subject.etype.name,
            "entity_id": subject.id,
            "field_data_type": fld.data_type,
            "added": added,
            "removed": removed,
        }
        if in_create:
            meta["in_create"] = True
        parts = []
        if added:
            parts.append("added " + ", ".join(f'"{a}"' for a in added))
        if removed:
            parts.append("removed " + ", ".join(f'"{r}"' for r in removed))
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=f'{self.who} changed "{fld.display_name}" on {self._on(subject)}: {"; ".join(parts)}',
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=fld.name,
            meta=self._meta(meta),
        )

    def back_reference(
        self,
        target: Subject,
        reverse: Field,
        source: LinkInfo,
        source_field: Field,
        *,
        added: bool,
        original: PendingEvent,
        in_create: bool,
    ) -> PendingEvent:
        """The change seen from the other side: ``Shot.tasks`` gains a Task when ``Task.entity`` is set.

        As in FPTR, the event is on the target (``entity`` = the Shot, ``attribute_name`` = "tasks")
        while ``meta.entity_type``/``entity_id``/``field_data_type`` describe the source side.
        """
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": reverse.name,
            "entity_type": source.type,
            "entity_id": source.id,
            "field_data_type": source_field.data_type,
            "actual_attribute_changed": source_field.qualified,
            "original_event_log_entry_id": None,  # filled in when ids are assigned
            "added": [source.meta_item()] if added else [],
            "removed": [] if added else [source.meta_item()],
        }
        if in_create:
            meta["in_create"] = True
        return PendingEvent(
            event_type=f"Shotgun_{target.etype.name}_Change",
            description=self._delta_text(
                reverse.display_name, target, [source] if added else [], [] if added else [source]
            ),
            entity=(target.etype.name, target.id),
            project=target.project,
            attribute_name=reverse.name,
            meta=self._meta(meta),
            original=original,
        )

    def _delta_text(
        self, display: str, subject: Subject, added: list[LinkInfo], removed: list[LinkInfo]
    ) -> str:
        parts = []
        if added:
            parts.append(f"added {_names(added)}")
        if removed:
            parts.append(f"removed {_names(removed)}")
        return f'{self.who} changed "{display}" on {self._on(subject)}: {"; ".join(parts) or "no change"}'

    def retirement(self, subject: Subject, when: dt.datetime) -> list[PendingEvent]:
        stamp = meta_datetime(when)
        change = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=f'{self.who} changed "Date Retired" from "" to "{stamp}" on {self._on(subject)}',
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name="retirement_date",
            meta=self._meta(
                {
                    "type": "attribute_change",
                    "attribute_name": "retirement_date",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "field_data_type": "date_time",
                    "old_value": None,
                    "new_value": stamp,
                }
            ),
        )
        retired = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Retirement",
            description=f"{self.who} retired {self._on(subject)}",
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=None,
            meta=self._meta(
                {
                    "type": "entity_retirement",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "id": subject.id,
                    "class_name": subject.etype.name,
                    "display_name": subject.name,
                    "retirement_date": stamp,
                }
            ),
        )
        return [change, retired]

    def revival(self, subject: Subject, retired_at: dt.datetime | None) -> list[PendingEvent]:
        change = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=(
                f'{self.who} changed "Date Retired" from '
                f'"{meta_datetime(retired_at) if retired_at else ""}" to "" on {self._on(subject)}'
            ),
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name="retirement_date",
            meta=self._meta(
                {
                    "type": "attribute_change",
                    "attribute_name": "retirement_date",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "field_data_type": "date_time",
                    "old_value": meta_datetime(retired_at) if retired_at else None,
                    "new_value": None,
                }
            ),
        )
        revived = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Revival",
            description=f"{self.who} revived {self._on(subject)}",
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=None,
            # "type" for current consumers; class_name/id/display_name are the legacy keys.
            meta=self._meta(
                {
                    "type": "entity_revival",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "id": subject.id,
                    "class_name": subject.etype.name,
                    "display_name": subject.name,
                }
            ),
        )
        return [change, revived]


# -- global events: sign-ins, hooks, keys --------------------------------------------------------


def login_event(
    user: tuple[str, int],
    login: str | None,
    name: str | None,
    source: str,
    auth: str,
    *,
    token: tuple[int, str] | None = None,
    issued: str | None = None,
) -> PendingEvent:
    """``Shotgun_User_Login``: a session of ``user`` started through ``source`` (web, api3, rest),
    signed in with ``auth`` (password, personal_access_token, session_token); ``token`` is the
    personal access token's id and name (never its secret), ``issued`` what the sign-in minted."""
    meta: dict[str, Any] = {"type": "login", "source": source, "login": login, "auth": auth}
    how = source
    if token is not None:
        meta["access_token"] = {"id": token[0], "name": token[1]}
        how = f"{source}, personal access token {token[1]!r}"
    if issued is not None:
        meta["issued"] = issued
    return PendingEvent(
        event_type="Shotgun_User_Login",
        description=f"{name or login} logged in ({how})",
        entity=user,
        project=None,
        attribute_name=None,
        meta=meta,
        user=user,
    )


def logout_event(user: tuple[str, int], login: str | None, name: str | None, source: str) -> PendingEvent:
    return PendingEvent(
        event_type="Shotgun_User_Logout",
        description=f"{name or login} logged out ({source})",
        entity=user,
        project=None,
        attribute_name=None,
        meta={"type": "logout", "source": source, "login": login},
        user=user,
    )


def password_change_event(builder: EventBuilder, user: tuple[str, int], name: str | None) -> PendingEvent:
    """``Shotgun_User_PasswordChange``: a person's password set, by themselves or an administrator,
    through any way in; written after the field's own Change, and like it never with the value."""
    return PendingEvent(
        event_type="Shotgun_User_PasswordChange",
        description=f"{builder.who} changed the password of {name or f'HumanUser {user[1]}'}",
        entity=user,
        project=None,
        attribute_name=None,
        meta=builder._meta({"type": "password_change", "user_id": user[1]}),
    )


def failed_login_event(login: str, source: str, auth: str, address: str | None = None) -> PendingEvent:
    """``Shotgun_User_FailedLogin``: nobody is signed in, so no user; the login tried is in meta."""
    meta: dict[str, Any] = {"type": "failedlogin", "source": source, "login": login, "auth": auth}
    if address is not None:
        meta["address"] = address
    return PendingEvent(
        event_type="Shotgun_User_FailedLogin",
        description=f"Failed {source} login for {login!r}",
        entity=None,
        project=None,
        attribute_name=None,
        meta=meta,
    )


def folded_failed_login_event(
    login: str, source: str, address: str, attempts: tuple[int, int], first: dt.datetime, last: dt.datetime
) -> PendingEvent:
    """The summary ``Shotgun_User_FailedLogin`` of a window of attempts from one address for one
    login (``""``: logins refused with no failure of their own); ``attempts`` is (all, refused
    unchecked), the window's first attempt included (see ``shotlog.accounts.throttle``)."""
    count, refused = attempts
    tried = f"login {login!r}" if login else "other logins"
    stamp = "%Y-%m-%d %H:%M:%S"
    return PendingEvent(
        event_type="Shotgun_User_FailedLogin",
        description=(
            f"{count} failed {source} sign-ins for {tried} from {address} between "
            f"{first.strftime(stamp)} and {last.strftime(stamp)} UTC ({refused} refused unchecked)"
        ),
        entity=None,
        project=None,
        attribute_name=None,
        meta={
            "type": "failedlogin",
            "source": source,
            "login": login or None,
            "auth": "password",
            "address": address,
            "count": count,
            "refused": refused,
            "first_at": first.isoformat(timespec="seconds") + "Z",
            "last_at": last.isoformat(timespec="seconds") + "Z",
            "folded": True,
        },
    )


#: Webhook operations and their FPTR event types
WEBHOOK_EVENT_TYPES = {
    "created": "Shotgun_Webhook_Created",
    "updated": "Shotgun_Webhook_Updated",
    "deleted": "Shotgun_Webhook_Deleted",
}


def webhook_event(
    builder: EventBuilder, operation: str, hook_id: str, hook_name: str, changes: dict[str, Any]
) -> PendingEvent:
    """A hook created, updated (status included) or deleted. Hooks are not entities: no entity;
    ``changes`` maps each field to ``{"old", "new"}`` (secrets only as set or not)."""
    verb = operation
    return PendingEvent(
        event_type=WEBHOOK_EVENT_TYPES[operation],
        description=f"{builder.who} {verb} webhook {hook_name or hook_id}",
        entity=None,
        project=None,
        attribute_name=None,
        meta=builder._meta({"type": f"webhook_{operation}", "webhook_id": hook_id, "changes": changes}),
    )


def script_key_event(
    builder: EventBuilder, api_user: tuple[str, int], name: str | None, *, revoked: bool = False
) -> PendingEvent:
    """A script's key replaced (or, ``revoked``, taken away): FPTR's ApiUser keeps it in
    ``salted_password``, a password field, so the Change names the field and never carries a value
    (the old key is revoked with it)."""
    verb = "revoked" if revoked else "changed"
    return PendingEvent(
        event_type="Shotgun_ApiUser_Change",
        description=f'{builder.who} {verb} "Application Key" on Script {name or api_user[1]}',
        entity=api_user,
        project=None,
        attribute_name="salted_password",
        meta=builder._meta(
            {
                "type": "attribute_change",
                "attribute_name": "salted_password",
                "entity_type": "ApiUser",
                "entity_id": api_user[1],
                "field_data_type": "password",
                "old_value": None,
                "new_value": None,
            }
        ),
    )
