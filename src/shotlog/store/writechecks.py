"""The checks of a write that need the database: who may set what, unique values, linked entities.

They run after the change set is worked out (``shotlog.store.changes``) and before anything is
written, in the write's own transaction, so that what an earlier write of the same batch did counts.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.access import authority
from shotlog.access.rules import NOTHING
from shotlog.errors import ConflictError, PermissionDenied, ValidationError
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field, Schema
from shotlog.store import driver, names
from shotlog.store.catalog import Catalog
from shotlog.store.changes import ChangeSet, CustomEvent
from shotlog.store.database import Database
from shotlog.store.permission_rules import RULE_SET_TYPE, member_projects, rulebook
from shotlog.store.subjects import Actor, Resolved
from shotlog.values import Link

__all__ = ["WriteChecks"]


# The actor's permission set, read in every write transaction: the statement is built once per
# table object and run through ``shotlog.store.driver`` (building it and its cache key cost more than
# SQLite's lookup itself). A schema reload makes new tables, and these entries go with the old ones.
_RULE_SET_OF: weakref.WeakKeyDictionary[sa.Table, tuple[str, sa.Select[Any]]] = weakref.WeakKeyDictionary()


def _rule_set_statement(table: sa.Table, column: str) -> sa.Select[Any]:
    known = _RULE_SET_OF.get(table)
    if known is not None and known[0] == column:
        return known[1]
    stmt = sa.select(table.c[column].label("rule_set")).where(table.c.id == sa.bindparam("_pk"))
    _RULE_SET_OF[table] = (column, stmt)
    return stmt


class WriteChecks:
    """The checks of one write transaction on ``conn`` by ``actor``."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        conn: Connection,
        schema: Schema,
        actor: Actor,
        *,
        shotlog_itself: bool,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.conn = conn
        self.schema = schema
        self.actor = actor
        self.shotlog_itself = shotlog_itself
        self._who: authority.Authority | None = None

    def resolve(self, refs: Iterable[Link], *, retired: bool = False) -> Resolved:
        return names.resolve(self.conn, self.catalog, self.schema, refs, retired=retired)

    def authority(self) -> authority.Authority:
        """The acting principal for ``shotlog.access.authority``, its permission set read in this
        transaction (once: a write to the actor's own row forgets it), so a change earlier in the
        same batch counts; its rules are the rule book's (``shotlog.store.permission_rules``)."""
        if self._who is not None:
            return self._who
        link = self.actor.link()
        if link is None or self.shotlog_itself:
            return authority.SHOTLOG  # no user at all: seeding, before any user exists
        kind, actor_id = link
        f = self.schema.fields.get(kind, {}).get("permission_rule_set")
        set_id = None
        if f is not None and f.column:
            stmt = _rule_set_statement(self.catalog.table(kind), f.column)
            # the buffered connection of a write transaction sends what it holds back first
            fetch = getattr(self.conn, "fetch_one", None)
            params = {"_pk": actor_id}
            row = fetch(stmt, params) if fetch is not None else driver.fetch_one(self.conn, stmt, params)
            set_id = None if row is None else row.rule_set
        rules = rulebook(self.catalog).by_id(self.conn, set_id) if isinstance(set_id, int) else None
        self._who = authority.Authority(
            kind, actor_id, None if rules is None else rules.code, rules=rules or NOTHING
        )
        return self._who

    def operation(
        self, operation: str, entity_type: str, entity_id: int | None, fields: Iterable[str] = ()
    ) -> None:
        """Refuse what the actor's permission rule set does not allow (``access.authority``)."""
        refusal = authority.operation_refusal(self.authority(), operation, entity_type, entity_id, fields)
        if refusal is not None:
            raise PermissionDenied(refusal.message, entity_type=entity_type, field=refusal.field or None)

    def in_own_projects(self, etype: EntityType, row: Any, cs: ChangeSet | None) -> None:
        """A set without ``see_all_projects`` (Vendor, Client) writes only in the projects whose
        Users name the person: the entity's project (``row``'s, for an update or delete) and any
        project the change moves it to."""
        who = self.authority()
        f = self.schema.fields.get(etype.name, {}).get("project")
        if who.shotlog_itself or who.can("see_all_projects") or f is None or not f.column:
            return
        wanted: list[Any] = []
        if row is not None:
            wanted.append(getattr(row, f.column))
        if cs is not None:
            wanted += [
                new[1] if new is not None else None for g, _old, new in cs.changes if g.name == "project"
            ]
        if row is None and not wanted:
            wanted.append(None)  # a new entity of no project
        assert who.kind is not None and who.id is not None
        members = set(member_projects(self.conn, who.kind, who.id))
        for project in wanted:
            if project not in members:
                where = "no project" if project is None else f"Project {project}"
                raise PermissionDenied(
                    f"{etype.name} in {where}: the permission set {who.rule_set or '(none)'} writes only in "
                    f"the projects whose Users name {who.label()}",
                    entity_type=etype.name,
                    field="project",
                )

    def _shown(self, value: object) -> object:
        """A rule set link as its name, for a refusal's message."""
        if isinstance(value, tuple) and len(value) == 2 and value[0] == RULE_SET_TYPE:
            found = rulebook(self.catalog).by_id(self.conn, value[1])
            return value if found is None else found.code
        return value

    def change_set(self, cs: ChangeSet, entity_id: int | None) -> Resolved:
        """Refuse, before anything is written, what the change set may not do; returns what events
        say about the entities it links (and about a given author)."""
        etype, created = cs.etype, cs.created
        # a password or permission set the actor may not set (a new user's default set included)
        user_fields = authority.USER_FIELDS.get(etype.name)
        guarded = user_fields and {
            f.name: new
            for f, _old, new in cs.changes
            if f.name in user_fields and not (created and new is None)
        }
        if guarded:
            shown = {k: self._shown(v) for k, v in guarded.items()}
            refusal = authority.user_write_refusal(self.authority(), etype.name, entity_id, shown)
            if refusal is not None:
                raise PermissionDenied(refusal.message, entity_type=etype.name, field=refusal.field)
        self.operation(
            "create" if created else "update", etype.name, entity_id, [f.name for f, _old, _new in cs.changes]
        )
        if user_fields and entity_id is not None and self.actor.link() == (etype.name, entity_id):
            self._who = None  # the actor's own row: its permission set may be changing
        for f, _old, new in cs.changes:
            if f.storage is Storage.COLUMN:
                self.unique(etype, f, new, entity_id)
        found: Resolved = {}
        for f, _old, link in cs.authored:
            if f.storage is Storage.LINK:
                # a retired (departed) artist can still be the author of what an import brings in
                if self.schema.has_entity(link[0]):
                    found = self.resolve([link], retired=True)
                if link not in found:
                    raise ValidationError(
                        f"{f.qualified}: {link[0]} {link[1]} does not exist",
                        entity_type=etype.name,
                        field=f.name,
                        value={"type": link[0], "id": link[1]},
                    )
        linked = self.links(cs)
        return {**found, **linked} if found else linked

    def links(self, cs: ChangeSet) -> Resolved:
        """Every entity a change links to must exist and be active."""
        per_field: list[tuple[Field, list[Link]]] = []
        for f, old, new in cs.changes:
            if f.storage is Storage.LINK:
                if new is not None:
                    per_field.append((f, [new]))
            elif f.storage in (Storage.MULTI, Storage.REVERSE):
                added = [x for x in new if x not in old]
                if added:
                    per_field.append((f, added))
        if not per_field:
            return {}
        for f, links in per_field:
            for t, i in links:
                if not self.schema.has_entity(t):
                    raise ValidationError(
                        f"{f.qualified} links to {t} {i}, but there is no entity type {t!r}",
                        entity_type=f.entity_type,
                        field=f.name,
                        value={"type": t, "id": i},
                    )
        found = self.resolve({link for _, links in per_field for link in links})
        for f, links in per_field:
            for link in links:
                if link not in found:
                    raise ValidationError(
                        f"{f.qualified}: {link[0]} {link[1]} does not exist or is retired",
                        entity_type=f.entity_type,
                        field=f.name,
                        value={"type": link[0], "id": link[1]},
                    )
        return found

    def unique(self, etype: EntityType, f: Field, value: Any, exclude_id: int | None) -> None:
        if not f.unique or value is None or not f.column:
            return
        if not self.db.is_sqlite:  # two concurrent creates must not both pass the check
            self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f.qualified})
        table = self.catalog.table(etype.name)
        stmt = sa.select(table.c.id).where(table.c[f.column] == value).limit(1)
        if etype.retirable:
            stmt = stmt.where(table.c.retirement_date.is_(None))
        if exclude_id is not None:
            stmt = stmt.where(table.c.id != exclude_id)
        if self.conn.execute(stmt).first() is not None:
            raise ConflictError(
                f"The value for the {f.display_name} field is required to be unique: "
                f"{etype.name} with {f.name} {value!r} already exists",
                entity_type=etype.name,
                field=f.name,
                value=value,
            )

    def event(self, event: CustomEvent, links: list[tuple[Field, Link]], *, builtin: bool) -> None:
        """A custom event's type (``access/authority.py``) and links (they must exist, retired or not)."""
        if authority.is_shotlog_event_type(event.event_type):
            reason = authority.event_type_refusal(self.authority(), event.event_type, builtin=builtin)
            if reason is not None:
                raise PermissionDenied(
                    reason, entity_type="EventLogEntry", field="event_type", value=event.event_type
                )
        if not builtin:
            self.operation("create", "EventLogEntry", None)
        for _f, link in links:
            if not self.schema.has_entity(link[0]):
                raise ValidationError(f"Unknown entity type {link[0]!r} in a link", value=link[0])
        found = self.resolve([link for _, link in links], retired=True)
        for f, link in links:
            if link not in found:
                raise ValidationError(
                    f"{f.qualified}: {link[0]} {link[1]} does not exist",
                    entity_type="EventLogEntry",
                    field=f.name,
                    value={"type": link[0], "id": link[1]},
                )
