"""Writing entities: create, update, delete (retire), revive and custom events.

A ``WriteTransaction`` is one unit of work on one database transaction. A create or an update goes
in three steps, the same for both:

1. the change set, worked out without the database (``shotlog.store.changes``): values checked
   and coerced, what really changes, mandatory fields;
2. here: the checks that need the database (who may set a password or a permission set, unique
   values, linked entities exist), then the row and its multi-entity and tag rows;
3. the change set, completed with the entity's id and the names events show, handed to the
   transaction's event recorder (``shotlog.store.ports``), which builds all its events in one call.

``finish`` has the recorder append the queued events as the transaction's last step, so the data
and its events commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog import filelinks
from shotlog.errors import NotFound, PermissionDenied, ReadOnlyField, ValidationError
from shotlog.query.filters import to_wire
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field, Schema
from shotlog.store import driver, epochs, idlists
from shotlog.store.buffered import BufferedConnection
from shotlog.store.catalog import Catalog
from shotlog.store.changes import (
    UPDATE_MODES,
    ChangeSet,
    Hasher,
    Merged,
    Retirement,
    collection_fields,
    plan_create,
    plan_update,
    subject_of,
)
from shotlog.store.collections import write_links, write_tags
from shotlog.store.custom_events import EVENT_WRITABLE, plan_event
from shotlog.store.database import Database
from shotlog.store.mirrors import refuse_if_mirrored
from shotlog.store.permission_rules import user_rule_set
from shotlog.store.ports import RecorderFactory
from shotlog.store.reader import Query, fetch_collections, find
from shotlog.store.subjects import Actor, Resolved
from shotlog.store.writechecks import WriteChecks
from shotlog.values import Link, from_storage

__all__ = ["UPDATE_MODES", "WriteTransaction"]

#: data types whose value reads back exactly as from_storage(coerced value); others (links, image
#: URLs, password, JSON) are read back from the database
_PLAIN_READ = frozenset(
    {
        "text",
        "number",
        "float",
        "percent",
        "duration",
        "timecode",
        "currency",
        "checkbox",
        "date",
        "date_time",
        "list",
        "status_list",
        "entity_type",
        "color",
        "uuid",
    }
)


# Statements built once per table object (a schema reload makes new tables, and these entries go
# with the old ones): building a statement and its cache key costs more than running it on SQLite.
# The SELECT is keyed by backend too, because the event_log_entries table object is shared.
_LOAD: dict[bool, weakref.WeakKeyDictionary[sa.Table, sa.Select[Any]]] = {
    True: weakref.WeakKeyDictionary(),
    False: weakref.WeakKeyDictionary(),
}
_UPDATE: weakref.WeakKeyDictionary[sa.Table, sa.Update] = weakref.WeakKeyDictionary()
_PREFETCH: dict[bool, weakref.WeakKeyDictionary[sa.Table, sa.Select[Any]]] = {
    True: weakref.WeakKeyDictionary(),
    False: weakref.WeakKeyDictionary(),
}


#: the current collection values of an update that names no collection field
_NONE: Mapping[str, list[Any]] = {}


def _prefetch_statement(table: sa.Table, *, sqlite: bool) -> sa.Select[Any]:
    """The rows of ``table`` whose ids are bound as ``_ids`` (see ``shotlog.store.idlists``)."""
    stmt = sa.select(table).where(idlists.among(table.c.id, "_ids", sqlite=sqlite))
    # the old values we log must be the ones we overwrite
    return stmt if sqlite else stmt.with_for_update()


class WriteTransaction:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        conn: Connection,
        schema: Schema,
        actor: Actor,
        now: dt.datetime,
        *,
        events: RecorderFactory,
        hash_password: Hasher | None = None,
        shotlog_itself: bool = False,
    ) -> None:
        """``events`` makes the recorder of this transaction's events; ``hash_password`` hashes a
        password that was not hashed before the transaction (``changes.hash_passwords``).
        ``shotlog_itself``: the writes are shotlog's own code's (the in-process default
        connection), not a client's, so ``shotlog.access.authority`` refuses them nothing."""
        # a database that mirrors an FPTR site has the site's events, not its entities: clients write there
        refuse_if_mirrored(db, by_client=not shotlog_itself)
        self.db = db
        self.catalog = catalog
        self._buffer = BufferedConnection(conn)
        # typed as a Connection: it behaves as one for every caller
        self.conn: Connection = self._buffer  # type: ignore[assignment]
        # rows read ahead by prefetch (batches), kept current as this transaction updates them
        self._rows: dict[tuple[str, int], Any] = {}
        self.schema = schema
        self.actor = actor
        self.shotlog_itself = shotlog_itself
        self.now = now
        self.events = events(self.conn, db, actor, now)
        self._hash_password = hash_password
        self.checks = WriteChecks(db, catalog, self.conn, schema, actor, shotlog_itself=shotlog_itself)
        # LocalStorage roots for file/link values, read once per transaction (reset when this
        # transaction writes a LocalStorage)
        self._roots: list[filelinks.StorageRoot] | None = None

    # -- reading what a write needs -----------------------------------------------------------------

    def _load(self, etype: EntityType, entity_id: object) -> Any:
        if isinstance(entity_id, bool) or not isinstance(entity_id, int):
            raise ValidationError(f"{etype.name} id must be an integer, got {entity_id!r}", value=entity_id)
        if not -(2**63) <= entity_id < 2**63:
            return None  # no such row; the driver would fail on the value instead of saying so
        cached = self._rows.get((etype.name, entity_id))
        if cached is not None:
            return cached
        table = self.catalog.table(etype.name)
        cache = _LOAD[self.db.is_sqlite]
        stmt = cache.get(table)
        if stmt is None:
            stmt = sa.select(table).where(table.c.id == sa.bindparam("_pk"))
            if not self.db.is_sqlite:
                stmt = stmt.with_for_update()  # the old values we log must be the ones we overwrite
            cache[table] = stmt
        return self._buffer.fetch_one(stmt, {"_pk": entity_id})

    def prefetch(self, wanted: Sequence[tuple[object, object]]) -> None:
        """Read the rows a batch is about to update, one SELECT per entity type."""
        by_type: dict[str, set[int]] = {}
        for t, i in wanted:
            if (
                isinstance(t, str)
                and self.schema.has_entity(t)
                and isinstance(i, int)
                and not isinstance(i, bool)
                and -(2**63) <= i < 2**63
            ):
                by_type.setdefault(t, set()).add(i)
        sqlite = self.db.is_sqlite
        for t, ids in by_type.items():
            if len(ids) < 2:
                continue
            table = self.catalog.table(t)
            stmt = _PREFETCH[sqlite].get(table)
            if stmt is None:
                stmt = _PREFETCH[sqlite][table] = _prefetch_statement(table, sqlite=sqlite)
            for row in self._buffer.fetch_all(stmt, {"_ids": idlists.param(sorted(ids), sqlite=sqlite)}):
                self._rows[(t, row.id)] = row

    def _storage_roots(self) -> list[filelinks.StorageRoot]:
        """The active LocalStorage entities' roots, which local file links resolve against."""
        if self._roots is None:
            self._roots = []
            if self.schema.has_entity("LocalStorage"):
                table = self.catalog.table("LocalStorage")
                fields = self.schema.fields["LocalStorage"]
                cols: list[sa.ColumnElement[Any]] = [table.c.id]
                for name in ("code", "linux_path", "mac_path", "windows_path"):
                    f = fields.get(name)
                    cols.append(table.c[f.column] if f is not None and f.column else sa.null())
                stmt = sa.select(*cols).where(table.c.retirement_date.is_(None))
                self._roots = [filelinks.StorageRoot(*row) for row in self.conn.execute(stmt)]
        return self._roots

    def _read_back(self, etype: EntityType, entity_id: int, fields: Sequence[str]) -> dict[str, Any]:
        q = Query(
            etype.name, to_wire([["id", "is", entity_id]]), fields=list(fields), limit=1, retired_only=False
        )
        rows = find(self.conn, self.catalog, self.schema, q, self.now)
        return rows[0] if rows else {"type": etype.name, "id": entity_id}

    # -- create and update ------------------------------------------------------------------------------

    def create(
        self, entity_type: str, data: Mapping[str, Any], return_fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        etype = self.schema.entity(entity_type)
        _check_return_fields(etype.name, return_fields)
        if etype.name == "EventLogEntry":
            return self.create_event(data, return_fields)
        if not etype.mutable:
            raise PermissionDenied(f"{etype.name} entities cannot be created through the API")
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"create({etype.name}) expects a dict of field values, got {data!r}", value=data
            )
        data = user_rule_set(self.conn, self.catalog, self.schema, etype.name, data, created=True)
        cs = plan_create(
            self.schema,
            etype,
            data,
            caller=self.actor.link(),
            roots=self._storage_roots,
            hash_password=self._hash_password,
        )
        found = self.checks.change_set(cs, None)
        self.checks.in_own_projects(etype, None, cs)

        row: dict[str, Any] = {}
        actor = self.actor.link()
        for key in ("created", "updated"):
            row[f"{key}_at"] = self.now
            by = self.schema.fields[etype.name][f"{key}_by"]
            assert by.column and by.type_column
            row[by.type_column], row[by.column] = actor if actor else (None, None)
        for f, _old, v in (*cs.authored, *cs.changes):
            if f.storage is Storage.COLUMN:
                row[f.column or f.name] = v
            elif f.storage is Storage.LINK:
                assert f.column and f.type_column
                row[f.type_column], row[f.column] = v if v is not None else (None, None)
        table = self.catalog.table(etype.name)
        inserted = self.conn.execute(sa.insert(table).values(**row)).inserted_primary_key
        assert inserted is not None
        entity_id = int(inserted[0])
        self._written(cs, entity_id, Merged(None, {**row, "id": entity_id}), found)
        return self._read_back(
            etype, entity_id, cs.read_back + [k for k in (return_fields or []) if k not in cs.read_back]
        )

    def update(
        self,
        entity_type: str,
        entity_id: int,
        data: Mapping[str, Any],
        multi_entity_update_modes: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        etype = self.schema.entity(entity_type)
        if not etype.mutable:
            if isinstance(data, Mapping) and etype.name == "EventLogEntry":
                # name the field when it is read-only even to a create (created_at, user, id...)
                for name in data:
                    f = self.schema.field(etype.name, name)
                    if name not in EVENT_WRITABLE:
                        raise ReadOnlyField(etype.name, f.name)
            raise PermissionDenied(f"{etype.name} entities cannot be updated")
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"update({etype.name}) expects a dict of field values, got {data!r}", value=data
            )
        if multi_entity_update_modes is not None and not isinstance(multi_entity_update_modes, Mapping):
            raise ValidationError(
                f"update({etype.name}): multi_entity_update_modes must be a dict of field name to "
                f"set, add or remove, got {multi_entity_update_modes!r}",
                entity_type=etype.name,
                value=multi_entity_update_modes,
            )
        row = self._load(etype, entity_id)
        if row is None or (etype.retirable and row.retirement_date is not None):
            # retired=False: what is missing is an *active* entity with that id
            raise NotFound(etype.name, entity_id, retired=None if row is None else False)
        data = user_rule_set(self.conn, self.catalog, self.schema, etype.name, data, created=False)
        collections = collection_fields(self.schema, etype, data)
        current = (
            {
                f.name: fetch_collections(self.conn, self.schema, self.catalog, f, {entity_id})[entity_id]
                for f in collections
            }
            if collections
            else _NONE
        )
        cs = plan_update(
            self.schema,
            etype,
            row,
            data,
            multi_entity_update_modes or {},
            current,
            roots=self._storage_roots,
            hash_password=self._hash_password,
        )
        found = self.checks.change_set(cs, entity_id)
        self.checks.in_own_projects(etype, row, cs)
        if not cs.changes:
            return self._update_result(etype, entity_id, cs)

        sets: dict[str, Any] = {"updated_at": self.now}
        by = self.schema.fields[etype.name]["updated_by"]
        assert by.column and by.type_column
        actor = self.actor.link() or (None, None)
        if (getattr(row, by.type_column), getattr(row, by.column)) != actor:
            # Only when it changes: SQLite rewrites the index entry of every column a SET names,
            # same value or not, and a user's run of updates would pay for it on every one.
            sets[by.type_column], sets[by.column] = actor
        for f, _old, new in cs.changes:
            if f.storage is Storage.COLUMN:
                sets[f.column or f.name] = new
            elif f.storage is Storage.LINK:
                assert f.column and f.type_column
                sets[f.type_column], sets[f.column] = new if new is not None else (None, None)
        table = self.catalog.table(etype.name)
        stmt = _UPDATE.get(table)
        if stmt is None:
            # no .values(): the SET clause comes from the parameter names at execution
            stmt = _UPDATE[table] = sa.update(table).where(table.c.id == sa.bindparam("_pk"))
        self._buffer.defer(stmt, {"_pk": entity_id, **sets})
        if epochs.ends_sessions(etype.name, [f for f, _old, _new in cs.changes]):
            # a new password or status ends the user's tokens as this transaction commits
            epochs.bump(self.conn, etype.name, entity_id, self.now)
        merged = Merged(row, sets)  # no read-back: this is the hot path of every update
        if (etype.name, entity_id) in self._rows:
            self._rows[(etype.name, entity_id)] = merged
        self._written(cs, entity_id, merged, found)
        return self._update_result(etype, entity_id, cs)

    def _written(self, cs: ChangeSet, entity_id: int, new_row: Any, found: Resolved) -> None:
        """The rest of a create or update once its row is written: its multi-entity and tag rows,
        its events, then the reverse fields (each an update of the other side, with its own events)."""
        etype = cs.etype
        if etype.name == "LocalStorage":
            self._roots = None
        for f, old, new in cs.changes:
            if f.storage is Storage.MULTI:
                write_links(self.conn, f, entity_id, old, new)
            elif f.storage is Storage.TAGS:
                write_tags(self.conn, f, entity_id, old, new)
        if self.actor.generates_events:
            cs.schema = self.schema
            cs.subject, cs.status = subject_of(self.schema, etype, entity_id, new_row)
            if not cs.created:  # what events say about links being removed, retired ones included
                olds = [o for f, o, _ in cs.changes if f.storage is Storage.LINK and o is not None]
                olds += [x for f, o, n in cs.changes if f.storage is Storage.MULTI for x in o if x not in n]
                if olds:
                    found = {**self.checks.resolve(olds, retired=True), **found}
            cs.names = found
            self.events.record(cs)
        for f, old, new in cs.changes:
            if f.storage is Storage.REVERSE:
                self._write_reverse(f, etype, entity_id, old, new)

    def _write_reverse(
        self, f: Field, etype: EntityType, owner: int, old: list[Link], new: list[Link]
    ) -> None:
        """Writing ``Shot.tasks`` really writes ``Task.entity`` on each task gained or lost."""
        source_type, source_name = f.reverse_source()
        source = self.schema.field(source_type, source_name)
        me = {"type": etype.name, "id": owner}
        for link in new:
            if link in old:
                continue
            if source.storage is Storage.LINK:
                self.update(source_type, link[1], {source_name: me})
            else:
                self.update(source_type, link[1], {source_name: [me]}, {source_name: "add"})
        for link in old:
            if link in new:
                continue
            if source.storage is Storage.LINK:
                self.update(source_type, link[1], {source_name: None})
            else:
                self.update(source_type, link[1], {source_name: [me]}, {source_name: "remove"})

    def _update_result(self, etype: EntityType, entity_id: int, cs: ChangeSet) -> dict[str, Any]:
        """The update response. Plain column values are known without reading the row back, which
        keeps the common one-field update to a single SELECT."""
        values = cs.values
        if all(f.storage is Storage.COLUMN and f.data_type in _PLAIN_READ for f, _ in values.values()):
            return {"type": etype.name, "id": entity_id} | {
                name: from_storage(f, v) for name, (f, v) in values.items()
            }
        return self._read_back(etype, entity_id, list(values))

    # -- delete / revive --------------------------------------------------------------------------

    def delete(self, entity_type: str, entity_id: int) -> bool:
        etype = self.schema.entity(entity_type)
        if not etype.mutable or not etype.retirable:
            raise PermissionDenied(f"{etype.name} entities cannot be deleted")
        row = self._load(etype, entity_id)
        if row is None:
            raise NotFound(etype.name, entity_id)
        if row.retirement_date is not None:
            return False
        self.checks.operation("delete", etype.name, entity_id)
        self.checks.in_own_projects(etype, row, None)
        table = self.catalog.table(etype.name)
        self.conn.execute(sa.update(table).where(table.c.id == entity_id).values(retirement_date=self.now))
        if etype.name in epochs.USER_TYPES:  # a retired user's tokens end, and stay ended on revival
            epochs.bump(self.conn, etype.name, entity_id, self.now)
        self._retired(etype, entity_id, row, self.now, revived=False)
        return True

    def revive(self, entity_type: str, entity_id: int) -> bool:
        etype = self.schema.entity(entity_type)
        if not etype.mutable or not etype.retirable:
            raise PermissionDenied(f"{etype.name} entities cannot be revived")
        row = self._load(etype, entity_id)
        if row is None:
            raise NotFound(etype.name, entity_id)
        if row.retirement_date is None:
            return False
        self.checks.operation("revive", etype.name, entity_id)
        for f in self.schema.fields[etype.name].values():
            if f.unique and f.column:
                self.checks.unique(etype, f, getattr(row, f.column), entity_id)
        table = self.catalog.table(etype.name)
        self.conn.execute(sa.update(table).where(table.c.id == entity_id).values(retirement_date=None))
        self._retired(etype, entity_id, row, row.retirement_date, revived=True)
        return True

    def _retired(self, etype: EntityType, entity_id: int, row: Any, when: Any, *, revived: bool) -> None:
        self._rows.pop((etype.name, entity_id), None)
        if etype.name == "LocalStorage":
            self._roots = None
        subject, _status = subject_of(self.schema, etype, entity_id, row)
        self.events.record(Retirement(subject, when, revived=revived))

    # -- custom events ------------------------------------------------------------------------------

    def create_event(
        self, data: Mapping[str, Any], return_fields: Sequence[str] | None = None, *, builtin: bool = False
    ) -> dict[str, Any]:
        """A custom EventLogEntry. ``created_at`` is shotlog's; ``user`` is the caller's unless given.

        Toolkit names the artist it runs for (tk-core's create_event_log_entry and its path cache),
        as FPTR lets API scripts do; a null ``user`` means the caller, as leaving it out does.
        A type shotlog writes itself (``Shotgun_*``, FPTR's global types) is refused to clients
        (``shotlog.access.authority``); ``builtin`` says shotlog's own code writes it for an operation it
        performed on the actor's behalf (a password change, an Action Menu Item triggered)."""
        _check_return_fields("EventLogEntry", return_fields)
        event, links = plan_event(self.schema, data)
        self.checks.event(event, links, builtin=builtin)
        # The row itself is what was asked for, so it is written even for a script whose
        # generate_event_log_entries is off; appended now, after everything queued before it, so
        # the caller gets its id.
        event_id = self.events.record_now(event)
        wanted = list(data) + [k for k in (return_fields or []) if k not in data]
        return self._read_back(self.schema.entity("EventLogEntry"), event_id, wanted)

    # -- end ----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Append the queued events (assigning their ids)."""
        self.events.flush()

    def finish(self) -> None:
        """The transaction's last step: send held-back writes, then append the events. On
        PostgreSQL, in a transaction that commits right after (``Database.write_grouped``), both go
        with the COMMIT in one round trip (``shotlog.store.driver``'s commit tail)."""
        with driver.last_statements(self.conn):
            self._buffer.send()
            self.events.flush()


def _check_return_fields(type_name: str, return_fields: object) -> None:
    if return_fields is not None and (
        not isinstance(return_fields, list | tuple) or not all(isinstance(f, str) for f in return_fields)
    ):
        raise ValidationError(
            f"create({type_name}): return_fields must be a list of field names, got {return_fields!r}",
            value=return_fields,
        )
