"""Writing entities: create, update, delete (retire), revive and custom events, with their events.

A ``WriteTransaction`` is one unit of work on one database transaction. Each operation checks its
input completely before it writes anything, writes the entity rows, and queues the events that
describe the change; ``finish`` appends the queued events (``shotlog.eventlog.log.append``) as the
transaction's last step, so the data and its events commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog import authority, filelinks
from shotlog.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ReadOnlyField,
    ValidationError,
)
from shotlog.eventlog import log as eventlog
from shotlog.eventlog.events import Actor, EventBuilder, LinkInfo, PendingEvent, Subject
from shotlog.query.filters import to_wire
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field, Schema
from shotlog.store import driver, epochs, idlists, names
from shotlog.store.catalog import Catalog
from shotlog.store.database import Database
from shotlog.store.reader import Query, fetch_collections, find
from shotlog.store.tables import entity_links, entity_tags
from shotlog.store.tables import event_log_entries as ele
from shotlog.values import Link, coerce, coerce_link, coerce_links, from_storage, to_storage_datetime

__all__ = ["UPDATE_MODES", "WriteTransaction"]

UPDATE_MODES = ("set", "add", "remove")
_SYSTEM_FIELDS = frozenset({"id", "created_at", "updated_at", "created_by", "updated_by"})
#: system fields a create may set, as FPTR lets API scripts do (imports and migrations keep the
#: original author and date); updated_* stay the server's, and none of them changes on update
_CREATE_ONLY = ("created_by", "created_at")
#: the field FPTR fills with the caller when a create leaves it out (a Reply's author)
_AUTHOR_FIELDS = {"Reply": "user"}
#: what a custom event's create may set; ``user`` too, but only there (tk-core names the artist)
_EVENT_WRITABLE = frozenset({"event_type", "description", "entity", "project", "attribute_name", "meta"})
_EVENT_CREATE_ONLY = frozenset({"user"})


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


def _prefetch_statement(table: sa.Table, *, sqlite: bool) -> sa.Select[Any]:
    """The rows of ``table`` whose ids are bound as ``_ids`` (see ``shotlog.store.idlists``)."""
    stmt = sa.select(table).where(idlists.among(table.c.id, "_ids", sqlite=sqlite))
    # the old values we log must be the ones we overwrite
    return stmt if sqlite else stmt.with_for_update()


def _varchar_limits(table: sa.Table, names: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in names:
        col_type = table.c[name].type
        if isinstance(col_type, sa.String) and col_type.length:
            out[name] = col_type.length
    return out


#: VARCHAR columns of event_log_entries a custom event fills: checked here, because longer text
#: fails in the PostgreSQL driver without naming the field (SQLite would silently accept it)
_EVENT_TEXT_LIMITS = _varchar_limits(ele, ("event_type", "attribute_name"))


def _hash_password(value: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(value)


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
        shotlog_itself: bool = False,
    ) -> None:
        """``shotlog_itself``: the writes are shotlog's own code's (the in-process default
        connection), not a client's, so ``shotlog.authority`` refuses them nothing."""
        self.db = db
        self.catalog = catalog
        self._buffer = _BufferedConnection(conn)
        # typed as a Connection: it behaves as one for every caller
        self.conn: Connection = self._buffer  # type: ignore[assignment]
        # rows read ahead by prefetch (batches), kept current as this transaction updates them
        self._rows: dict[tuple[str, int], Any] = {}
        self.schema = schema
        self.actor = actor
        self.shotlog_itself = shotlog_itself
        self.now = now
        self.events: list[PendingEvent] = []
        self.builder = EventBuilder(actor)
        # LocalStorage roots for file/link values, read once per transaction (reset when this
        # transaction writes a LocalStorage)
        self._roots: list[filelinks.StorageRoot] | None = None

    # -- helpers ----------------------------------------------------------------------------------

    def _etype(self, entity_type: object) -> EntityType:
        return self.schema.entity(entity_type)

    def _authority(self) -> authority.Authority:
        """The acting principal for ``shotlog.authority``, its permission set read in this
        transaction, so a change earlier in the same batch counts and no cache can be stale."""
        link = self.actor.link()
        if link is None or self.shotlog_itself:
            return authority.SHOTLOG  # no user at all: seeding, before any user exists
        kind, actor_id = link
        f = self.schema.fields.get(kind, {}).get("permission_rule_set")
        rule_set = None
        if f is not None and f.column:
            table = self.catalog.table(kind)
            rule_set = self.conn.execute(sa.select(table.c[f.column]).where(table.c.id == actor_id)).scalar()
        return authority.Authority(kind, actor_id, rule_set)

    def _check_user_fields(self, etype: EntityType, entity_id: int | None, values: Mapping[str, Any]) -> None:
        """Refuse, before anything is written, a password or permission set the actor may not set."""
        guarded = {k: v for k, v in values.items() if k in authority.USER_FIELDS.get(etype.name, ())}
        if not guarded:
            return
        refusal = authority.user_write_refusal(self._authority(), etype.name, entity_id, guarded)
        if refusal is not None:
            raise PermissionDenied(refusal.message, entity_type=etype.name, field=refusal.field)

    def _emit(self, *events: PendingEvent) -> None:
        if self.actor.generates_events:
            self.events.extend(events)

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

    def _subject(self, etype: EntityType, entity_id: int, row: Any) -> Subject:
        fields = self.schema.fields[etype.name]
        name = None
        display = fields.get(etype.display_field)
        if display is not None and display.column:
            value = getattr(row, display.column, None)
            name = None if value is None else str(value)
        project = None
        if etype.name == "Project":
            project = ("Project", entity_id)
        elif "project" in fields:
            pf = fields["project"]
            assert pf.column and pf.type_column
            pid = getattr(row, pf.column)
            project = (getattr(row, pf.type_column), pid) if pid is not None else None
        return Subject(etype, entity_id, name, project)

    def _status(self, etype: EntityType, row: Any) -> str | None:
        f = self.schema.fields[etype.name].get("sg_status_list")
        return getattr(row, f.column) if f is not None and f.column else None

    def _coerce(self, etype: EntityType, name: object, value: Any) -> tuple[Field, Any]:
        f = self.schema.field(etype.name, name)
        if name in _SYSTEM_FIELDS or not f.editable or f.storage is Storage.VIRTUAL:
            raise ReadOnlyField(etype.name, f.name)
        storage = f.storage
        if storage is Storage.LINK:
            return f, None if value is None else coerce_link(f, value)
        if storage in (Storage.MULTI, Storage.REVERSE):
            return f, coerce_links(f, value)
        if f.data_type == "url" and filelinks.is_local_request(value):
            value = filelinks.resolve(f, filelinks.parse_local(f, value), self._storage_roots())
        v = coerce(f, value)
        if f.data_type == "password" and v is not None:
            v = _hash_password(v)
        elif f.data_type == "entity_type" and v is not None and not self.schema.has_entity(v):
            raise ValidationError(
                f"{f.qualified} ({f.data_type}) expects the name of an entity type, got {v!r}",
                entity_type=etype.name,
                field=f.name,
                value=v,
            )
        return f, v

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

    def _forget_roots(self, etype: EntityType) -> None:
        if etype.name == "LocalStorage":
            self._roots = None

    def _fill_path_cache_storage(self, etype: EntityType, values: dict[str, tuple[Field, Any]]) -> None:
        """A local ``path`` names its storage in ``path_cache_storage`` too, as FPTR fills it (Toolkit's
        find_publish filters on it); a value the caller gave is kept."""
        fields = self.schema.fields[etype.name]
        target = fields.get("path_cache_storage")
        if "path" not in values or target is None or "path_cache_storage" in values:
            return
        f, value = values["path"]
        if f.data_type != "url" or not isinstance(value, dict) or value.get("link_type") != "local":
            return
        storage = value.get("local_storage")
        if isinstance(storage, dict) and isinstance(storage.get("id"), int):
            values["path_cache_storage"] = (target, ("LocalStorage", storage["id"]))

    def _authorship(self, etype: EntityType, data: dict[str, Any]) -> dict[str, tuple[Field, Any]]:
        """Take ``created_by``/``created_at`` out of a create's data: the ones given (not null), checked.

        A null one means the server's own value (the caller, now), which is also what the rest of
        the event log records."""
        given: dict[str, tuple[Field, Any]] = {}
        for name in _CREATE_ONLY:
            if name not in data:
                continue
            f = self.schema.field(etype.name, name)
            value = data.pop(name)
            if value is None:
                continue
            if f.storage is Storage.LINK:
                given[name] = (f, coerce_link(f, value))
            else:
                given[name] = (f, to_storage_datetime(value, f))
        if "created_by" in given:
            f, link = given["created_by"]
            # a retired (departed) artist can still be the author of what an import brings in
            if not self.schema.has_entity(link[0]) or link not in names.resolve(
                self.conn, self.catalog, self.schema, [link], retired=True
            ):
                raise ValidationError(
                    f"{f.qualified}: {link[0]} {link[1]} does not exist",
                    entity_type=etype.name,
                    field=f.name,
                    value={"type": link[0], "id": link[1]},
                )
        return given

    def _check_links(self, fields: Mapping[str, tuple[Field, Any]]) -> names.Resolved:
        """Every linked entity must exist and be active; returns what events say about them."""
        per_field = [(f, _links_in(f, v)) for f, v in fields.values()]
        refs = {link for _, links in per_field for link in links}
        if not refs:
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
        found = names.resolve(self.conn, self.catalog, self.schema, refs)
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

    def _check_unique(self, etype: EntityType, f: Field, value: Any, exclude_id: int | None) -> None:
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

    def _read_back(self, etype: EntityType, entity_id: int, fields: Sequence[str]) -> dict[str, Any]:
        q = Query(
            etype.name,
            to_wire([["id", "is", entity_id]]),
            fields=list(fields),
            limit=1,
            retired_only=False,
        )
        rows = find(self.conn, self.catalog, self.schema, q, self.now)
        return rows[0] if rows else {"type": etype.name, "id": entity_id}

    # -- create -----------------------------------------------------------------------------------

    def create(
        self, entity_type: str, data: Mapping[str, Any], return_fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        etype = self._etype(entity_type)
        _check_return_fields(etype.name, return_fields)
        if etype.name == "EventLogEntry":
            return self.create_event(data, return_fields)
        if not etype.mutable:
            raise PermissionDenied(f"{etype.name} entities cannot be created through the API")
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"create({etype.name}) expects a dict of field values, got {data!r}", value=data
            )
        data = dict(data)
        author_field = _AUTHOR_FIELDS.get(etype.name)
        if author_field and author_field not in data and (caller := self.actor.link()) is not None:
            data[author_field] = {"type": caller[0], "id": caller[1]}
        asked = list(data)
        authored = self._authorship(etype, data)
        if etype.name == "HumanUser":
            _derive_user_name(data)
        values: dict[str, tuple[Field, Any]] = {}
        for name, value in data.items():
            values[name] = self._coerce(etype, name, value)
        self._fill_path_cache_storage(etype, values)
        for f in self.schema.fields[etype.name].values():
            if f.name in values or f.default is None or f.storage is not Storage.COLUMN:
                continue
            if f.data_type == "checkbox" and f.default is False:
                continue
            values[f.name] = (f, coerce(f, f.default))
        # a new user gets a permission set, the field's default when none is given
        self._check_user_fields(etype, None, {k: v for k, (_f, v) in values.items() if v is not None})
        for f in self.schema.fields[etype.name].values():
            if f.mandatory and values.get(f.name, (f, None))[1] in (None, "", []):
                raise ValidationError(
                    f"{etype.name}.{f.name} ({f.display_name}) is required",
                    entity_type=etype.name,
                    field=f.name,
                )
        for f, v in values.values():
            self._check_unique(etype, f, v, None)
        found = self._check_links(values)

        table = self.catalog.table(etype.name)
        row: dict[str, Any] = {}
        actor = self.actor.link()
        for key in ("created", "updated"):
            row[f"{key}_at"] = self.now
            by = self.schema.fields[etype.name][f"{key}_by"]
            assert by.column and by.type_column
            row[by.type_column], row[by.column] = actor if actor else (None, None)
        for f, v in authored.values():
            if f.storage is Storage.LINK:
                assert f.column and f.type_column
                row[f.type_column], row[f.column] = v
            else:
                row[f.column or f.name] = v
        for f, v in values.values():
            if f.storage is Storage.COLUMN:
                row[f.column or f.name] = v
            elif f.storage is Storage.LINK:
                assert f.column and f.type_column
                link: Link | None = v
                row[f.type_column], row[f.column] = link if link is not None else (None, None)
        inserted = self.conn.execute(sa.insert(table).values(**row)).inserted_primary_key
        assert inserted is not None
        entity_id = int(inserted[0])
        for f, v in values.values():
            if f.storage is Storage.MULTI:
                self._write_links(f, entity_id, [], v)
            elif f.storage is Storage.TAGS:
                self._write_tags(f, entity_id, [], v)

        new_row = _Merged(None, {**row, "id": entity_id})
        subject = self._subject(etype, entity_id, new_row)
        me = LinkInfo(etype.name, entity_id, subject.name, self._status(etype, new_row))
        self._emit(self.builder.new_entity(subject))
        # An author or date given by the caller is logged as set in the create, so the log shows
        # who wrote the row (the event's user, always the caller) and whom it was attributed to.
        for f, v in authored.values():
            if f.storage is Storage.LINK:
                author = names.resolve(self.conn, self.catalog, self.schema, [v], retired=True)[v][0]
                self._emit(self.builder.scalar_change(subject, f, None, author, in_create=True))
            else:
                self._emit(self.builder.scalar_change(subject, f, None, v, in_create=True))
        backrefs: list[PendingEvent] = []
        for f, v in values.values():
            if f.storage is Storage.REVERSE:
                continue
            if f.storage is Storage.COLUMN:
                if v is None or (f.data_type == "checkbox" and v is False):
                    continue
                self._emit(self.builder.scalar_change(subject, f, None, v, in_create=True))
            elif f.storage is Storage.LINK:
                if v is None:
                    continue
                ev = self.builder.scalar_change(subject, f, None, found[v][0], in_create=True)
                self._emit(ev)
                backrefs += self._backrefs(me, f, [v], [], ev, found, in_create=True)
            elif f.storage is Storage.MULTI:
                if not v:
                    continue
                ev = self.builder.multi_change(subject, f, [found[x][0] for x in v], [], in_create=True)
                self._emit(ev)
                backrefs += self._backrefs(me, f, v, [], ev, found, in_create=True)
            elif f.storage is Storage.TAGS and v:
                self._emit(self.builder.tags_change(subject, f, list(v), [], in_create=True))
        self._emit(*backrefs)
        for f, v in values.values():
            if f.storage is Storage.REVERSE and v:
                self._write_reverse(f, etype, entity_id, [], v)
        self._forget_roots(etype)
        keys = asked + [k for k in data if k not in asked]  # with what _derive_user_name added
        wanted = [k for k in keys if k in values or k in _CREATE_ONLY]
        wanted += [k for k in (return_fields or []) if k not in wanted]
        return self._read_back(etype, entity_id, wanted)

    def _backrefs(
        self,
        me: LinkInfo,
        f: Field,
        added: list[Link],
        removed: list[Link],
        original: PendingEvent,
        found: names.Resolved,
        *,
        in_create: bool,
    ) -> list[PendingEvent]:
        """Changes on the reverse fields (``Shot.tasks``) of the entities a link field gained or lost."""
        reverses = self.schema.reverse_fields(f.entity_type, f.name)
        if not reverses or not self.actor.generates_events:
            return []
        missing = [x for x in added + removed if x not in found]
        if missing:
            found = {**found, **names.resolve(self.conn, self.catalog, self.schema, missing, retired=True)}
        out: list[PendingEvent] = []
        for is_added, targets in ((True, added), (False, removed)):
            for target in targets:
                if target not in found:
                    continue
                info, project = found[target]
                tsubject = Subject(self.schema.entity(target[0]), target[1], info.name, project)
                for rf in reverses:
                    if rf.entity_type == target[0]:
                        out.append(
                            self.builder.back_reference(
                                tsubject, rf, me, f, added=is_added, original=original, in_create=in_create
                            )
                        )
        return out

    def _write_links(self, f: Field, owner: int, old: list[Link], new: list[Link]) -> None:
        if old == new:
            return
        gone = [x for x in old if x not in new]
        if gone:
            for t, i in gone:
                self.conn.execute(
                    sa.delete(entity_links).where(
                        entity_links.c.field == f.qualified,
                        entity_links.c.src_id == owner,
                        entity_links.c.dst_type == t,
                        entity_links.c.dst_id == i,
                    )
                )
        kept = [x for x in new if x in old]
        if kept != [x for x in old if x in new]:  # order changed: rewrite every position
            self.conn.execute(
                sa.delete(entity_links).where(
                    entity_links.c.field == f.qualified, entity_links.c.src_id == owner
                )
            )
            old = []
        rows = [
            {"field": f.qualified, "src_id": owner, "dst_type": t, "dst_id": i, "position": pos}
            for pos, (t, i) in enumerate(new)
            if (t, i) not in old
        ]
        if rows:
            self.conn.execute(sa.insert(entity_links), rows)
        if old:
            for pos, (t, i) in enumerate(new):
                if (t, i) in old:
                    self.conn.execute(
                        sa.update(entity_links)
                        .where(
                            entity_links.c.field == f.qualified,
                            entity_links.c.src_id == owner,
                            entity_links.c.dst_type == t,
                            entity_links.c.dst_id == i,
                        )
                        .values(position=pos)
                    )

    def _write_tags(self, f: Field, owner: int, old: list[str], new: list[str]) -> None:
        if old == new:
            return
        self.conn.execute(
            sa.delete(entity_tags).where(entity_tags.c.field == f.qualified, entity_tags.c.owner_id == owner)
        )
        if new:
            self.conn.execute(
                sa.insert(entity_tags),
                [
                    {"field": f.qualified, "owner_id": owner, "tag": tag, "position": pos}
                    for pos, tag in enumerate(new)
                ],
            )

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

    # -- update -----------------------------------------------------------------------------------

    def update(
        self,
        entity_type: str,
        entity_id: int,
        data: Mapping[str, Any],
        multi_entity_update_modes: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        etype = self._etype(entity_type)
        if not etype.mutable:
            if isinstance(data, Mapping) and etype.name == "EventLogEntry":
                # name the field when it is read-only even to a create (created_at, user, id...)
                for name in data:
                    f = self.schema.field(etype.name, name)
                    if name not in _EVENT_WRITABLE:
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
        modes = dict(multi_entity_update_modes or {})
        row = self._load(etype, entity_id)
        if row is None or (etype.retirable and row.retirement_date is not None):
            # retired=False: what is missing is an *active* entity with that id
            raise NotFound(etype.name, entity_id, retired=None if row is None else False)
        data = dict(data)
        if etype.name == "HumanUser":
            _derive_user_name(data, row)
        values: dict[str, tuple[Field, Any]] = {}
        for name, value in data.items():
            values[name] = self._coerce(etype, name, value)
        self._fill_path_cache_storage(etype, values)
        for name, mode in modes.items():
            if name not in values:
                continue
            f = values[name][0]
            if mode not in UPDATE_MODES:
                raise ValidationError(
                    f"{f.qualified}: multi_entity_update_mode must be one of set, add, remove; got {mode!r}",
                    entity_type=etype.name,
                    field=name,
                    value=mode,
                )
            if mode != "set" and f.storage not in (Storage.MULTI, Storage.REVERSE, Storage.TAGS):
                raise ValidationError(
                    f"{f.qualified} ({f.data_type}) is not a multi-entity field; "
                    f"update mode {mode!r} does not apply",
                    entity_type=etype.name,
                    field=name,
                    value=mode,
                )

        # Work out what really changes.
        changes: list[tuple[Field, Any, Any]] = []  # (field, old, new) in the caller's order
        for name, (f, new) in values.items():
            mode = modes.get(name, "set")
            if f.storage is Storage.COLUMN:
                old = getattr(row, f.column or f.name)
                if old != new or (f.data_type == "password" and new is not None):
                    changes.append((f, old, new))
            elif f.storage is Storage.LINK:
                assert f.column and f.type_column
                pid = getattr(row, f.column)
                old = (getattr(row, f.type_column), pid) if pid is not None else None
                if old != new:
                    changes.append((f, old, new))
            elif f.storage in (Storage.MULTI, Storage.REVERSE, Storage.TAGS):
                if f.storage is Storage.TAGS:
                    new = list(new)
                current = fetch_collections(self.conn, self.schema, self.catalog, f, {entity_id})[entity_id]
                target = _apply_mode(current, new, mode)
                if target != current:
                    changes.append((f, current, target))
        for f, _old, new in changes:
            if f.mandatory and new in (None, "", []):
                raise ValidationError(
                    f"{etype.name}.{f.name} ({f.display_name}) is required and cannot be cleared, "
                    f"got {new!r}",
                    entity_type=etype.name,
                    field=f.name,
                    value=new,
                )
            if f.storage is Storage.COLUMN:
                self._check_unique(etype, f, new, entity_id)
        self._check_user_fields(etype, entity_id, {f.name: new for f, _old, new in changes})
        found = self._check_links(
            {
                f.name: (
                    f,
                    [x for x in new if x not in old]
                    if f.storage in (Storage.MULTI, Storage.REVERSE)
                    else new,
                )
                for f, old, new in changes
                if f.storage in (Storage.LINK, Storage.MULTI, Storage.REVERSE)
            }
        )

        if not changes:
            return self._update_result(etype, entity_id, values)
        self._forget_roots(etype)
        table = self.catalog.table(etype.name)
        sets: dict[str, Any] = {"updated_at": self.now}
        by = self.schema.fields[etype.name]["updated_by"]
        assert by.column and by.type_column
        actor = self.actor.link() or (None, None)
        if (getattr(row, by.type_column), getattr(row, by.column)) != actor:
            # Only when it changes: SQLite rewrites the index entry of every column a SET names,
            # same value or not, and a user's run of updates would pay for it on every one.
            sets[by.type_column], sets[by.column] = actor
        for f, _old, new in changes:
            if f.storage is Storage.COLUMN:
                sets[f.column or f.name] = new
            elif f.storage is Storage.LINK:
                assert f.column and f.type_column
                sets[f.type_column], sets[f.column] = new if new is not None else (None, None)
        stmt = _UPDATE.get(table)
        if stmt is None:
            # no .values(): the SET clause comes from the parameter names at execution
            stmt = _UPDATE[table] = sa.update(table).where(table.c.id == sa.bindparam("_pk"))
        self._buffer.defer(stmt, {"_pk": entity_id, **sets})
        if epochs.ends_sessions(etype.name, [f for f, _old, _new in changes]):
            # a new password or status ends the user's tokens as this transaction commits
            epochs.bump(self.conn, etype.name, entity_id, self.now)
        if (etype.name, entity_id) in self._rows:
            self._rows[(etype.name, entity_id)] = _Merged(row, sets)
        for f, old, new in changes:
            if f.storage is Storage.MULTI:
                self._write_links(f, entity_id, old, new)
            elif f.storage is Storage.TAGS:
                self._write_tags(f, entity_id, old, new)

        if self.actor.generates_events:
            new_row = _Merged(row, sets)  # no read-back: this is the hot path of every update
            subject = self._subject(etype, entity_id, new_row)
            me = LinkInfo(etype.name, entity_id, subject.name, self._status(etype, new_row))
            backrefs: list[PendingEvent] = []
            olds = [o for f, o, _ in changes if f.storage is Storage.LINK and o is not None]
            olds += [x for f, o, n in changes if f.storage is Storage.MULTI for x in o if x not in n]
            if olds:  # what events say about links being removed, retired ones included
                found = {**names.resolve(self.conn, self.catalog, self.schema, olds, retired=True), **found}
            for f, old, new in changes:
                if f.storage is Storage.COLUMN:
                    self._emit(self.builder.scalar_change(subject, f, old, new))
                elif f.storage is Storage.LINK:
                    old_info = found[old][0] if old is not None and old in found else None
                    new_info = found[new][0] if new is not None else None
                    ev = self.builder.scalar_change(subject, f, old_info, new_info)
                    self._emit(ev)
                    backrefs += self._backrefs(
                        me, f, [new] if new else [], [old] if old else [], ev, found, in_create=False
                    )
                elif f.storage is Storage.MULTI:
                    added = [x for x in new if x not in old]
                    removed = [x for x in old if x not in new]
                    if not added and not removed:
                        continue  # only the order changed
                    ev = self.builder.multi_change(
                        subject, f, [found[x][0] for x in added], [found[x][0] for x in removed if x in found]
                    )
                    self._emit(ev)
                    backrefs += self._backrefs(me, f, added, removed, ev, found, in_create=False)
                elif f.storage is Storage.TAGS:
                    added_t = [x for x in new if x not in old]
                    removed_t = [x for x in old if x not in new]
                    if added_t or removed_t:
                        self._emit(self.builder.tags_change(subject, f, added_t, removed_t))
            self._emit(*backrefs)
        for f, old, new in changes:
            if f.storage is Storage.REVERSE:
                self._write_reverse(f, etype, entity_id, old, new)
        return self._update_result(etype, entity_id, values)

    def _update_result(
        self, etype: EntityType, entity_id: int, values: Mapping[str, tuple[Field, Any]]
    ) -> dict[str, Any]:
        """The update response. Plain column values are known without reading the row back, which
        keeps the common one-field update to a single SELECT."""
        if all(f.storage is Storage.COLUMN and f.data_type in _PLAIN_READ for f, _ in values.values()):
            return {"type": etype.name, "id": entity_id} | {
                name: from_storage(f, v) for name, (f, v) in values.items()
            }
        return self._read_back(etype, entity_id, list(values))

    # -- delete / revive --------------------------------------------------------------------------

    def delete(self, entity_type: str, entity_id: int) -> bool:
        etype = self._etype(entity_type)
        if not etype.mutable or not etype.retirable:
            raise PermissionDenied(f"{etype.name} entities cannot be deleted")
        row = self._load(etype, entity_id)
        if row is None:
            raise NotFound(etype.name, entity_id)
        if row.retirement_date is not None:
            return False
        table = self.catalog.table(etype.name)
        self.conn.execute(sa.update(table).where(table.c.id == entity_id).values(retirement_date=self.now))
        if etype.name in epochs.USER_TYPES:  # a retired user's tokens end, and stay ended on revival
            epochs.bump(self.conn, etype.name, entity_id, self.now)
        self._rows.pop((etype.name, entity_id), None)
        self._forget_roots(etype)
        self._emit(*self.builder.retirement(self._subject(etype, entity_id, row), self.now))
        return True

    def revive(self, entity_type: str, entity_id: int) -> bool:
        etype = self._etype(entity_type)
        if not etype.mutable or not etype.retirable:
            raise PermissionDenied(f"{etype.name} entities cannot be revived")
        row = self._load(etype, entity_id)
        if row is None:
            raise NotFound(etype.name, entity_id)
        if row.retirement_date is None:
            return False
        for f in self.schema.fields[etype.name].values():
            if f.unique and f.column:
                self._check_unique(etype, f, getattr(row, f.column), entity_id)
        table = self.catalog.table(etype.name)
        self.conn.execute(sa.update(table).where(table.c.id == entity_id).values(retirement_date=None))
        self._rows.pop((etype.name, entity_id), None)
        self._forget_roots(etype)
        self._emit(*self.builder.revival(self._subject(etype, entity_id, row), row.retirement_date))
        return True

    # -- custom events ------------------------------------------------------------------------------

    def create_event(
        self, data: Mapping[str, Any], return_fields: Sequence[str] | None = None, *, builtin: bool = False
    ) -> dict[str, Any]:
        """A custom EventLogEntry. ``created_at`` is shotlog's; ``user`` is the caller's unless given.

        Toolkit names the artist it runs for (tk-core's create_event_log_entry and its path cache),
        as FPTR lets API scripts do; a null ``user`` means the caller, as leaving it out does.
        A type shotlog writes itself (``Shotgun_*``, FPTR's global types) is refused to clients
        (``shotlog.authority``); ``builtin`` says shotlog's own code writes it for an operation it
        performed on the actor's behalf (a password change, an Action Menu Item triggered)."""
        _check_return_fields("EventLogEntry", return_fields)
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"create(EventLogEntry) expects a dict of field values, got {data!r}", value=data
            )
        etype = self.schema.entity("EventLogEntry")
        fields = self.schema.fields["EventLogEntry"]
        values: dict[str, tuple[Field, Any]] = {}
        for name, value in data.items():
            f = self.schema.field("EventLogEntry", name)
            if name not in _EVENT_WRITABLE and name not in _EVENT_CREATE_ONLY:
                raise ReadOnlyField("EventLogEntry", f.name)
            if f.storage is Storage.LINK:
                values[name] = (f, None if value is None else coerce_link(f, value))
            else:
                v = coerce(f, value)
                limit = _EVENT_TEXT_LIMITS.get(name)
                if limit is not None and v is not None and len(v) > limit:
                    raise ValidationError(
                        f"EventLogEntry.{name} is limited to {limit} characters, got {len(v)}: {v[:60]!r}...",
                        entity_type="EventLogEntry",
                        field=name,
                        value=v,
                    )
                values[name] = (f, v)
        event_type = values.get("event_type", (fields["event_type"], None))[1]
        if not event_type:
            raise ValidationError(
                "EventLogEntry.event_type is required", entity_type="EventLogEntry", field="event_type"
            )
        if authority.is_shotlog_event_type(event_type):
            reason = authority.event_type_refusal(self._authority(), event_type, builtin=builtin)
            if reason is not None:
                raise PermissionDenied(
                    reason, entity_type="EventLogEntry", field="event_type", value=event_type
                )
        links = {k: v for k, v in values.items() if v[0].storage is Storage.LINK and v[1] is not None}
        for _f, link in links.values():
            if not self.schema.has_entity(link[0]):
                raise ValidationError(f"Unknown entity type {link[0]!r} in a link", value=link[0])
        found = names.resolve(
            self.conn, self.catalog, self.schema, [v for _, v in links.values()], retired=True
        )
        for f, link in links.values():
            if link not in found:
                raise ValidationError(
                    f"{f.qualified}: {link[0]} {link[1]} does not exist",
                    entity_type="EventLogEntry",
                    field=f.name,
                    value={"type": link[0], "id": link[1]},
                )
        meta = values.get("meta", (fields["meta"], None))[1]
        if meta is not None and self.actor.sudo_actual is not None and isinstance(meta, dict):
            meta = {**meta, "sudo_actual_user": self.actor.sudo_actual.link()}
        ev = PendingEvent(
            event_type=event_type,
            description=values.get("description", (None, None))[1],
            entity=values.get("entity", (None, None))[1],
            project=values.get("project", (None, None))[1],
            attribute_name=values.get("attribute_name", (None, None))[1],
            meta=meta,
            user=values.get("user", (None, None))[1],
        )
        # The row itself is what was asked for, so it is written even for a script whose
        # generate_event_log_entries is off. Append now, with everything queued before it,
        # so the caller gets its id.
        self.events.append(ev)
        self.flush()
        assert ev.id is not None
        wanted = list(data) + [k for k in (return_fields or []) if k not in data]
        del etype
        return self._read_back(self.schema.entity("EventLogEntry"), ev.id, wanted)

    # -- end ----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Append the queued events (assigning their ids)."""
        if self.events:
            eventlog.append(self.conn, self.db, self.events, self.actor, self.now)
            self.events = []

    def finish(self) -> None:
        """The transaction's last step: send held-back writes, then append the events."""
        self._buffer.send()
        self.flush()


class _BufferedConnection:
    """A connection that holds back UPDATEs so a run of them goes to the database as one executemany.

    A batch of 100 one-field updates then costs one round of statement processing instead of 100.
    Any other statement first sends what is held back, in order, so every read in the transaction
    sees every earlier write.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._held: list[tuple[Any, tuple[str, ...], list[dict[str, Any]]]] = []

    def defer(self, stmt: Any, params: dict[str, Any]) -> None:
        keys = tuple(params)
        if self._held and self._held[-1][0] is stmt and self._held[-1][1] == keys:
            self._held[-1][2].append(params)
        else:
            self._held.append((stmt, keys, [params]))

    def send(self) -> None:
        held, self._held = self._held, []
        for stmt, _keys, rows in held:
            if len(rows) > 1:
                driver.executemany(self._conn, stmt, rows)
            else:
                driver.execute(self._conn, stmt, rows[0])

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        if self._held:
            self.send()
        return self._conn.execute(*args, **kwargs)

    def exec_driver_sql(self, *args: Any, **kwargs: Any) -> Any:
        if self._held:
            self.send()
        return self._conn.exec_driver_sql(*args, **kwargs)

    def fetch_one(self, stmt: Any, params: dict[str, Any]) -> driver.Record | None:
        """``driver.fetch_one`` after sending what is held, so the read sees every earlier write."""
        if self._held:
            self.send()
        return driver.fetch_one(self._conn, stmt, params)

    def fetch_all(self, stmt: Any, params: dict[str, Any]) -> list[driver.Record]:
        """``driver.fetch_all`` after sending what is held."""
        if self._held:
            self.send()
        return driver.fetch_all(self._conn, stmt, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _Merged:
    """A row as written, without reading it back: the row read before the write (None for an
    INSERT, whose unset columns are NULL) with the written column values laid over it."""

    __slots__ = ("_row", "_sets")

    def __init__(self, row: Any, sets: Mapping[str, Any]) -> None:
        self._row = row
        self._sets = sets

    def __getattr__(self, name: str) -> Any:
        if name in self._sets:
            return self._sets[name]
        return None if self._row is None else getattr(self._row, name)


def _check_return_fields(type_name: str, return_fields: object) -> None:
    if return_fields is not None and (
        not isinstance(return_fields, list | tuple) or not all(isinstance(f, str) for f in return_fields)
    ):
        raise ValidationError(
            f"create({type_name}): return_fields must be a list of field names, got {return_fields!r}",
            value=return_fields,
        )


def _links_in(f: Field, value: Any) -> list[Link]:
    """The links a coerced value of ``f`` holds (none for non-link fields)."""
    if f.storage is Storage.LINK:
        return [] if value is None else [value]
    if f.storage in (Storage.MULTI, Storage.REVERSE):
        return list(value)
    return []


def _apply_mode(current: list[Any], given: list[Any], mode: str) -> list[Any]:
    if mode == "add":
        return current + [x for x in given if x not in current]
    if mode == "remove":
        return [x for x in current if x not in given]
    return list(given)


def _derive_user_name(data: dict[str, Any], row: Any = None) -> None:
    """HumanUser.name is "firstname lastname", kept in step with the two parts."""
    if "name" in data and "firstname" not in data and "lastname" not in data and row is None:
        name = data["name"]
        if isinstance(name, str) and name.strip():
            given, _, family = name.strip().partition(" ")
            data.setdefault("firstname", given)
            data.setdefault("lastname", family or None)
        return
    if "firstname" in data or "lastname" in data:
        first: Any = data.get("firstname", getattr(row, "firstname", None) if row is not None else None)
        last: Any = data.get("lastname", getattr(row, "lastname", None) if row is not None else None)
        if "name" not in data:
            data["name"] = " ".join(p for p in (first, last) if isinstance(p, str) and p) or None
