"""The events of a change: one pure call from what the store wrote to the EventLogEntry rows.

``events_of`` takes a change as the store describes it (``shotlog.store.changes``: an entity
created or updated, retired or revived, a field of the schema changed) and returns its events in
the order they are appended: for a create, ``Shotgun_<Type>_New``, the author and date the caller
gave, one ``in_create`` change per value set; for an update, one change per field that changed;
then, for both, the back-reference changes on the reverse fields of the entities linked or
unlinked. ``custom_event`` shapes an event a client created as such.
"""

from __future__ import annotations

from typing import Any

from shotlog.eventlog.events import Actor, EventBuilder, PendingEvent, password_change_event
from shotlog.eventlog.schema_events import field_changed, field_created, field_retired, field_revived
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Field, Schema
from shotlog.store.changes import ChangeSet, CustomEvent, Retirement, SchemaChange
from shotlog.store.subjects import LinkInfo, Resolved, Subject
from shotlog.values import Link

__all__ = ["custom_event", "events_of"]


def events_of(change: ChangeSet | Retirement | SchemaChange, builder: EventBuilder) -> list[PendingEvent]:
    """Every event of ``change``, attributed to ``builder``'s actor."""
    if isinstance(change, ChangeSet):
        return _entity_events(change, builder)
    if isinstance(change, Retirement):
        if change.revived:
            return builder.revival(change.subject, change.when)
        assert change.when is not None
        return builder.retirement(change.subject, change.when)
    return _schema_events(change, builder)


def custom_event(event: CustomEvent, actor: Actor) -> PendingEvent:
    """A client's own event; under sudo a dict ``meta`` also names the real user, as FPTR's do."""
    meta = event.meta
    if meta is not None and actor.sudo_actual is not None and isinstance(meta, dict):
        meta = {**meta, "sudo_actual_user": actor.sudo_actual.link()}
    return PendingEvent(
        event_type=event.event_type,
        description=event.description,
        entity=event.entity,
        project=event.project,
        attribute_name=event.attribute_name,
        meta=meta,
        user=event.user,
    )


def _schema_events(change: SchemaChange, builder: EventBuilder) -> list[PendingEvent]:
    if change.kind == "created":
        return field_created(builder, change.field)
    if change.kind == "changed":
        assert change.before is not None
        return field_changed(builder, change.before, change.field)
    if change.kind == "retired":
        assert change.when is not None
        return field_retired(builder, change.field, change.when)
    return field_revived(builder, change.field, change.when)


def _entity_events(cs: ChangeSet, b: EventBuilder) -> list[PendingEvent]:
    subject, names, created = cs.subject, cs.names, cs.created
    assert subject is not None and cs.schema is not None
    me = LinkInfo(subject.etype.name, subject.id, subject.name, cs.status)
    out: list[PendingEvent] = []
    if created:
        out.append(b.new_entity(subject))
        # An author or date given by the caller is logged as set in the create, so the log shows
        # who wrote the row (the event's user, always the caller) and whom it was attributed to.
        for f, _old, v in cs.authored:
            out.append(
                b.scalar_change(
                    subject, f, None, names[v][0] if f.storage is Storage.LINK else v, in_create=True
                )
            )
    backrefs: list[PendingEvent] = []
    for f, old, new in cs.changes:
        storage = f.storage
        if storage is Storage.COLUMN:
            if created and (new is None or (new is False and f.data_type == "checkbox")):
                continue
            out.append(b.scalar_change(subject, f, old, new, in_create=created))
        elif storage is Storage.LINK:
            if created and new is None:
                continue
            old_info = names[old][0] if old is not None and old in names else None
            new_info = names[new][0] if new is not None else None
            ev = b.scalar_change(subject, f, old_info, new_info, in_create=created)
            out.append(ev)
            added = [new] if new else []
            removed = [old] if old else []
            backrefs += _backrefs(b, cs.schema, me, f, added, removed, ev, names, created)
        elif storage is Storage.MULTI:
            added = [x for x in new if x not in old]
            removed = [x for x in old if x not in new]
            if not added and not removed:
                continue  # only the order changed
            ev = b.multi_change(
                subject,
                f,
                [names[x][0] for x in added],
                [names[x][0] for x in removed if x in names],
                in_create=created,
            )
            out.append(ev)
            backrefs += _backrefs(b, cs.schema, me, f, added, removed, ev, names, created)
        elif storage is Storage.TAGS:
            added_t = [x for x in new if x not in old]
            removed_t = [x for x in old if x not in new]
            if added_t or removed_t:
                out.append(b.tags_change(subject, f, added_t, removed_t, in_create=created))
    if (
        not created
        and subject.etype.name == "HumanUser"
        and any(f.data_type == "password" for f, _o, _n in cs.changes)
    ):
        # FPTR's global event of a password change, whoever made it and however (api3, REST, web)
        out.append(password_change_event(b, (subject.etype.name, subject.id), subject.name))
    out += backrefs
    return out


def _backrefs(
    b: EventBuilder,
    schema: Schema,
    me: LinkInfo,
    f: Field,
    added: list[Link],
    removed: list[Link],
    original: PendingEvent,
    names: Resolved,
    in_create: bool,
) -> list[PendingEvent]:
    """Changes on the reverse fields (``Shot.tasks``) of the entities a link field gained or lost."""
    reverses = schema.reverse_fields(f.entity_type, f.name)
    if not reverses:
        return []
    out: list[PendingEvent] = []
    for is_added, targets in ((True, added), (False, removed)):
        for target in targets:
            found: Any = names.get(target)
            if found is None:
                continue
            info, project = found
            tsubject = Subject(schema.entity(target[0]), target[1], info.name, project)
            for rf in reverses:
                if rf.entity_type == target[0]:
                    out.append(
                        b.back_reference(
                            tsubject, rf, me, f, added=is_added, original=original, in_create=in_create
                        )
                    )
    return out
