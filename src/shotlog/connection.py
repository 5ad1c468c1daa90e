"""The in-process Python API: ``shotlog.connect(url)``.

Method names and arguments follow shotgun_api3, so code written for the official client reads the
same against shotlog in process. Every write runs in its own database transaction together with the
EventLogEntry rows it produces; ``batch`` runs several writes in one.
"""

from __future__ import annotations

import dataclasses
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.errors import NotFound, ShotlogError, UnknownEntityType, UnknownField, ValidationError
from shotlog.eventlog import EVENT_FIELDS
from shotlog.eventlog import read as eventlog
from shotlog.eventlog.events import Actor, LinkInfo
from shotlog.eventlog.floor import check_cursor
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.passwords import hash_password
from shotlog.query.filters import to_wire
from shotlog.schema.describe import entity_schema, field_schema
from shotlog.schema.model import Schema
from shotlog.store import follows
from shotlog.store.catalog import Catalog
from shotlog.store.changes import hash_batch_passwords, hash_passwords
from shotlog.store.database import DEFAULT_URL, Database
from shotlog.store.migrate import upgrade
from shotlog.store.names import resolve as resolve_names
from shotlog.store.reader import Query, check_presets, count_rows, find
from shotlog.store.seed import DEFAULT_SCRIPT
from shotlog.store.summaries import summarize
from shotlog.store.writer import WriteTransaction
from shotlog.values import utcnow

__all__ = ["DEFAULT_SCRIPT", "BatchError", "Shotlog", "connect"]

T = TypeVar("T")

_ACTOR_TTL = 1.0
DEFAULT_PAGE = 500


class BatchError(ShotlogError):
    """One request of a batch failed; the whole batch was rolled back."""

    def __init__(self, index: int, cause: ShotlogError) -> None:
        super().__init__(
            f"batch request with index {index} failed. All requests rolled back.\n{cause.message}",
            index=index,
        )
        self.index = index
        self.cause = cause
        self.error_code = cause.error_code


class _Shared:
    """What every view of one database shares: the engines and the schema catalog."""

    def __init__(self, url: str, *, migrate: bool, sqlite_synchronous: str) -> None:
        self.db = Database(url, sqlite_synchronous=sqlite_synchronous)
        if migrate:
            upgrade(self.db, events=TransactionEvents)
        self.catalog = Catalog(self.db)


class Shotlog:
    """A connection to a shotlog database, acting as one user."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        migrate: bool = True,
        sqlite_synchronous: str = "FULL",
        _shared: _Shared | None = None,
        _user: tuple[str, int] | None = None,
        _sudo_actual: LinkInfo | None = None,
        _session_uuid: str | None = None,
    ) -> None:
        self._shared = _shared or _Shared(url, migrate=migrate, sqlite_synchronous=sqlite_synchronous)
        self.db = self._shared.db
        self.catalog = self._shared.catalog
        self._user = _user
        self._sudo_actual = _sudo_actual
        self.session_uuid = _session_uuid
        self._actor: Actor | None = None
        self._actor_at = 0.0

    # -- who is acting ----------------------------------------------------------------------------

    def _view(self, user: tuple[str, int] | None, sudo_actual: LinkInfo | None = None) -> Shotlog:
        return Shotlog(
            _shared=self._shared, _user=user, _sudo_actual=sudo_actual, _session_uuid=self.session_uuid
        )

    def with_session_uuid(self, session_uuid: str | None) -> Shotlog:
        """A view that stamps ``session_uuid`` on its events, sharing this view's resolved user."""
        view = Shotlog(
            _shared=self._shared, _user=self._user, _sudo_actual=self._sudo_actual, _session_uuid=session_uuid
        )
        if self._actor is not None:
            view._actor = dataclasses.replace(self._actor, session_uuid=session_uuid)
            view._actor_at = self._actor_at
        return view

    def as_user(self, user: Mapping[str, Any]) -> Shotlog:
        """The same database, acting as ``user`` (a HumanUser or ApiUser link)."""
        if (
            not isinstance(user, Mapping)
            or user.get("type") not in ("HumanUser", "ApiUser")
            or not isinstance(user.get("id"), int)
        ):
            raise ValidationError(f"as_user expects a HumanUser or ApiUser link, got {user!r}", value=user)
        view = self._view((user["type"], user["id"]))
        view._resolve_actor()
        return view

    def sudo(self, login: str) -> Shotlog:
        """Act as the HumanUser with ``login``; events name the real user in meta.sudo_actual_user."""
        users = self.find("HumanUser", [["login", "is", login]], ["name"], limit=1)
        if not users:
            raise NotFound("HumanUser", login)
        actor = self._resolve_actor()
        real = LinkInfo(actor.type, actor.id, actor.name) if actor.type and actor.id is not None else None
        return self._view(("HumanUser", users[0]["id"]), real)

    def set_session_uuid(self, session_uuid: str | None) -> None:
        """Stamp events written through this connection with ``session_uuid`` (as shotgun_api3 does)."""
        if session_uuid is not None:
            try:
                uuidlib.UUID(str(session_uuid))
            except ValueError:
                raise ValidationError(
                    f"session_uuid must be a UUID, got {session_uuid!r}", value=session_uuid
                ) from None
        self.session_uuid = session_uuid
        self._actor = None  # the cached actor carries the old uuid

    def _resolve_actor(self) -> Actor:
        if self._actor is not None and time.monotonic() - self._actor_at < _ACTOR_TTL:
            return self._actor
        schema = self.catalog.schema
        with self.db.read() as conn:
            if self._user is None:
                table = self.catalog.table("ApiUser")
                name_col = schema.fields["ApiUser"]["firstname"].column or "firstname"
                row = conn.execute(
                    sa.select(table.c.id)
                    .where(table.c[name_col] == DEFAULT_SCRIPT, table.c.retirement_date.is_(None))
                    .order_by(table.c.id)
                    .limit(1)
                ).first()
                user = ("ApiUser", row.id) if row else None
            else:
                user = self._user
            actor = Actor(session_uuid=self.session_uuid, sudo_actual=self._sudo_actual)
            if user is not None:
                etype = schema.entity(user[0])
                table = self.catalog.table(user[0])
                display = schema.fields[user[0]][etype.display_field].column or "id"
                cols = [table.c[display].label("name"), table.c.retirement_date]
                gen = schema.fields[user[0]].get("generate_event_log_entries")
                if gen is not None and gen.column:
                    cols.append(table.c[gen.column].label("gen"))
                row = conn.execute(sa.select(*cols).where(table.c.id == user[1])).first()
                if row is None or row.retirement_date is not None:
                    raise NotFound(user[0], user[1])
                actor = Actor(
                    type=user[0],
                    id=user[1],
                    name=row.name,
                    generates_events=bool(getattr(row, "gen", True)),
                    sudo_actual=self._sudo_actual,
                    session_uuid=self.session_uuid,
                )
        self._actor, self._actor_at = actor, time.monotonic()
        return actor

    @property
    def actor(self) -> Actor:
        return self._resolve_actor()

    # -- transactions -----------------------------------------------------------------------------

    def _write(self, fn: Callable[[WriteTransaction], T]) -> T:
        for attempt in (1, 2):
            schema = self.catalog.schema
            actor = self._resolve_actor()

            def work(conn: Connection, schema: Schema = schema, actor: Actor = actor) -> T:
                # a view without a user is shotlog's own code (never a client's request)
                tx = WriteTransaction(
                    self.db,
                    self.catalog,
                    conn,
                    schema,
                    actor,
                    utcnow(),
                    events=TransactionEvents,
                    hash_password=hash_password,
                    shotlog_itself=self._user is None,
                )
                result = fn(tx)
                tx.finish()
                return result

            try:
                # concurrent writers (server threads) share a commit, and its fsync
                return self.db.write_grouped(work)
            except (UnknownEntityType, UnknownField):
                # Another process may have changed the schema since we loaded it: reload, retry once.
                if attempt == 2 or not self._schema_changed():
                    raise
        raise AssertionError("unreachable")

    def _schema_changed(self) -> bool:
        before = self.catalog.schema.version
        self.catalog.refresh()  # reloads only if the stored version moved
        return self.catalog.schema.version != before

    # -- reads ------------------------------------------------------------------------------------

    def find(
        self,
        entity_type: str,
        filters: Any,
        fields: Sequence[str] | None = None,
        order: list[dict[str, str]] | None = None,
        filter_operator: str | None = None,
        limit: int = 0,
        retired_only: bool = False,
        page: int = 0,
        include_archived_projects: bool = True,
        additional_filter_presets: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Entities matching ``filters``, as shotgun_api3's ``find``: ``limit`` 0 means all."""
        presets = check_presets(additional_filter_presets)
        for name, value in (("limit", limit), ("page", page)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"{name} must be a non-negative integer, got {value!r}", value=value)
        offset = 0
        if page:
            # shotgun_api3's rule: a page is `limit` rows when limit fits in one request, else 500.
            size = limit if 0 < limit <= DEFAULT_PAGE else DEFAULT_PAGE
            offset, limit = (page - 1) * size, size
            if offset >= 2**62:
                raise ValidationError(f"page {page} is beyond any possible result", value=page)
        if isinstance(filters, Mapping) and filter_operator is not None:
            raise ValidationError(
                "filter_operator applies to a list of filters; a dict filter carries its own operator",
                value=filter_operator,
            )
        if isinstance(fields, str):
            fields = [fields]
        wire = to_wire(filters, filter_operator)
        q = Query(
            entity_type,
            wire,
            fields=list(fields or ["id"]),
            order=order,
            limit=limit or None,
            offset=offset,
            retired_only=retired_only,
            include_archived_projects=include_archived_projects,
            presets=presets,
        )
        return self._read(lambda conn, schema: find(conn, self.catalog, schema, q, utcnow()), entity_type)

    def find_page(
        self,
        entity_type: str,
        filters: Any,
        fields: Sequence[str] | None = None,
        order: list[dict[str, str]] | None = None,
        *,
        limit: int = DEFAULT_PAGE,
        offset: int = 0,
        retired_only: bool = False,
        include_archived_projects: bool = True,
        count: bool = False,
        additional_filter_presets: list[dict[str, Any]] | None = None,
    ) -> tuple[list[dict[str, Any]], bool, int | None]:
        """One page of a find: (rows, whether more follow, total count if asked). For paging servers."""
        wire = to_wire(filters)
        presets = check_presets(additional_filter_presets)
        q = Query(
            entity_type,
            wire,
            fields=list(fields or ["id"]),
            order=order,
            limit=limit + 1,  # one extra row tells whether there is a next page
            offset=offset,
            retired_only=retired_only,
            include_archived_projects=include_archived_projects,
            presets=presets,
        )

        def run(conn: Any, schema: Any) -> tuple[list[dict[str, Any]], bool, int | None]:
            now = utcnow()
            rows = find(conn, self.catalog, schema, q, now)
            total = count_rows(conn, self.catalog, schema, q, now) if count else None
            return rows[:limit], len(rows) > limit, total

        return self._read(run, entity_type)

    def _read(self, fn: Callable[[Any, Any], T], entity_type: str | None = None) -> T:
        if entity_type is not None:
            self.catalog.refresh_if_unknown(entity_type)
        schema = self.catalog.schema
        with self.db.read() as conn:
            return fn(conn, schema)

    def find_one(
        self,
        entity_type: str,
        filters: Any,
        fields: Sequence[str] | None = None,
        order: list[dict[str, str]] | None = None,
        filter_operator: str | None = None,
        retired_only: bool = False,
        include_archived_projects: bool = True,
    ) -> dict[str, Any] | None:
        rows = self.find(
            entity_type,
            filters,
            fields,
            order,
            filter_operator,
            limit=1,
            retired_only=retired_only,
            include_archived_projects=include_archived_projects,
        )
        return rows[0] if rows else None

    def summarize(
        self,
        entity_type: str,
        filters: Any,
        summary_fields: list[dict[str, str]],
        filter_operator: str | None = None,
        grouping: list[dict[str, str]] | None = None,
        include_archived_projects: bool = True,
    ) -> dict[str, Any]:
        wire = to_wire(filters, filter_operator)
        return self._read(
            lambda conn, schema: summarize(
                conn,
                self.catalog,
                schema,
                entity_type,
                wire,
                summary_fields,
                grouping,
                include_archived_projects,
                utcnow(),
            ),
            entity_type,
        )

    # -- writes -----------------------------------------------------------------------------------

    def create(
        self, entity_type: str, data: Mapping[str, Any], return_fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        data = self._hash_passwords(entity_type, data)
        return self._write(lambda tx: tx.create(entity_type, data, return_fields))

    def update(
        self,
        entity_type: str,
        entity_id: int,
        data: Mapping[str, Any],
        multi_entity_update_modes: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        data = self._hash_passwords(entity_type, data)
        result = self._write(lambda tx: tx.update(entity_type, entity_id, data, multi_entity_update_modes))
        self._forget_actor_if((entity_type, entity_id))
        return result

    def delete(self, entity_type: str, entity_id: int) -> bool:
        result = self._write(lambda tx: tx.delete(entity_type, entity_id))
        self._forget_actor_if((entity_type, entity_id))
        return result

    def revive(self, entity_type: str, entity_id: int) -> bool:
        return self._write(lambda tx: tx.revive(entity_type, entity_id))

    def _hash_passwords(self, entity_type: object, data: Any) -> Any:
        """``data`` with its passwords hashed before the write transaction opens (Argon2 is slow on
        purpose, and the transaction holds the event log's lock on PostgreSQL)."""
        return hash_passwords(self.catalog.schema, entity_type, data, hash_password)

    def _forget_actor_if(self, *changed: tuple[Any, Any]) -> None:
        """A write to the acting user's own row (its name, generate_event_log_entries) applies at once."""
        actor = self._actor
        if actor is not None and actor.link() in changed:
            self._actor = None

    def batch(self, requests: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Several creates, updates and deletes in one transaction: all of them or none."""
        if not isinstance(requests, list | tuple):
            raise ValidationError(f"batch expects a list of requests, got {requests!r}", value=requests)
        requests = hash_batch_passwords(self.catalog.schema, requests, hash_password)

        def run(tx: WriteTransaction) -> list[Any]:
            tx.prefetch(
                [
                    (r.get("entity_type", r.get("type")), r.get("entity_id", r.get("id")))
                    for r in requests
                    if isinstance(r, Mapping) and r.get("request_type") == "update"
                ]
            )
            results: list[Any] = []
            for index, req in enumerate(requests):
                try:
                    results.append(_run_request(tx, req))
                except ShotlogError as exc:
                    raise BatchError(index, exc) from exc
            return results

        results = self._write(run)
        self._forget_actor_if(
            *((r.get("entity_type"), r.get("entity_id")) for r in requests if isinstance(r, Mapping))
        )
        return results

    def create_event(
        self,
        event_type: str,
        *,
        description: str | None = None,
        entity: Mapping[str, Any] | None = None,
        project: Mapping[str, Any] | None = None,
        attribute_name: str | None = None,
        meta: Any = None,
        fields: Sequence[str] | None = None,
        builtin: bool = False,
    ) -> dict[str, Any]:
        """Write a custom event, for example ``tkMultiEventApp_event_new``.

        A type shotlog writes itself (``Shotgun_*``, FPTR's global types) is refused to a view of a
        user unless ``builtin``: shotlog's own code recording an operation it performed for them."""
        data: dict[str, Any] = {"event_type": event_type}
        for key, value in (
            ("description", description),
            ("entity", entity),
            ("project", project),
            ("attribute_name", attribute_name),
            ("meta", meta),
        ):
            if value is not None:
                data[key] = value
        return self._write(lambda tx: tx.create_event(data, fields, builtin=builtin))

    # -- following ----------------------------------------------------------------------------------

    def follow(self, user: Mapping[str, Any], entity: Mapping[str, Any]) -> dict[str, Any]:
        u, e = self._existing(user, "user"), self._existing(entity, "entity")
        with self.db.write() as conn:
            follows.follow(conn, u, e)
        return {"followed": True, "user": dict(user), "entity": dict(entity)}

    def unfollow(self, user: Mapping[str, Any], entity: Mapping[str, Any]) -> dict[str, Any]:
        u, e = self._existing(user, "user"), self._existing(entity, "entity")
        with self.db.write() as conn:
            follows.unfollow(conn, u, e)
        return {"unfollowed": True, "user": dict(user), "entity": dict(entity)}

    def followers(self, entity: Mapping[str, Any]) -> list[dict[str, Any]]:
        e = self._existing(entity, "entity")
        with self.db.read() as conn:
            users = follows.followers(conn, e)
            info = resolve_names(conn, self.catalog, self.catalog.schema, users)
        return [info[u][0].meta_item() for u in users if u in info]

    def following(
        self,
        user: Mapping[str, Any],
        project: Mapping[str, Any] | None = None,
        entity_type: str | None = None,
    ) -> list[dict[str, Any]]:
        u = self._existing(user, "user")
        scope = None if project is None else follows.link_ref(project, "project")
        if entity_type is not None and not isinstance(entity_type, str):
            raise ValidationError(
                f"entity_type must be a string, got {entity_type!r}", parameter="entity_type"
            )
        with self.db.read() as conn:
            found = follows.following(conn, u, entity_type)
            info = resolve_names(conn, self.catalog, self.catalog.schema, found)
        out = []
        for ref in found:
            if ref not in info:
                continue
            if scope is not None and info[ref][1] != scope:
                continue
            out.append({"type": ref[0], "id": ref[1]})
        return out

    def _existing(self, link: Mapping[str, Any], what: str) -> tuple[str, int]:
        ref = follows.link_ref(dict(link) if isinstance(link, Mapping) else link, what)
        self.catalog.schema.entity(ref[0])
        if not -(2**63) <= ref[1] < 2**63:
            raise NotFound(ref[0], ref[1])  # no row can have it; the driver would fail on the value
        with self.db.read() as conn:
            if ref not in resolve_names(conn, self.catalog, self.catalog.schema, [ref]):
                raise NotFound(ref[0], ref[1])
        return ref

    def text_search(
        self,
        text: str,
        entity_types: Mapping[str, Any],
        project_ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Entities whose display name contains every word of ``text`` (at least 3 characters)."""
        if not isinstance(text, str) or len(text.strip()) < 3:
            raise ValidationError(f"text_search needs at least 3 characters, got {text!r}", value=text)
        if not isinstance(entity_types, Mapping) or not entity_types:
            raise ValidationError("text_search needs entity_types: {EntityType: filters}", value=entity_types)
        if project_ids is not None and not (
            isinstance(project_ids, list | tuple) and all(type(p) is int for p in project_ids)
        ):
            raise ValidationError(
                f"text_search project_ids must be a list of Project ids, got {project_ids!r}"[:300],
                field="project_ids",
            )
        if limit is not None and not (type(limit) is int and 0 <= limit < 2**31):
            raise ValidationError(
                f"text_search max_results must be a count, got {limit!r}"[:300], field="max_results"
            )
        terms = [t.lower() for t in text.split()]
        matches: list[dict[str, Any]] = []
        schema = self.catalog.schema
        for etype_name, extra in entity_types.items():
            etype = schema.entity(etype_name)
            group = to_wire(extra or [])
            conditions: list[Any] = [
                {"path": etype.display_field, "relation": "contains", "values": [t]} for t in terms
            ]
            if group["conditions"]:
                conditions.append(group)
            if project_ids and "project" in schema.fields[etype_name]:
                conditions.append(
                    {
                        "path": "project",
                        "relation": "in",
                        "values": [{"type": "Project", "id": p} for p in project_ids],
                    }
                )
            fields = [etype.display_field, "project", "image"]
            if "sg_status_list" in schema.fields[etype_name]:
                fields.append("sg_status_list")
            rows = self.find(
                etype_name, {"logical_operator": "and", "conditions": conditions}, fields, limit=limit or 0
            )
            for r in rows:
                project = r.get("project")
                matches.append(
                    {
                        "id": r["id"],
                        "type": etype_name,
                        "name": r.get(etype.display_field),
                        "project_id": project["id"] if project else None,
                        "image": r.get("image"),
                        "links": [],
                        "status": r.get("sg_status_list"),
                    }
                )
        if limit:
            matches = matches[:limit]
        return {"matches": matches, "terms": terms}

    # -- the event log -------------------------------------------------------------------------------

    def head_event_id(self) -> int:
        """The id of the newest event (0 when the log is empty)."""
        with self.db.read() as conn:
            return eventlog.head_id(conn)

    def iter_events(
        self, after_id: int = 0, fields: Sequence[str] | None = None, *, batch: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Every event after ``after_id`` in id order, read a page at a time (flat memory).

        Raises ``shotlog.eventlog.floor.CursorArchived`` if events after ``after_id`` were archived.
        """
        check_cursor(self.db, after_id)  # a cursor behind the live log would silently skip events
        fields = list(fields or EVENT_FIELDS)
        cursor = after_id
        while True:
            page = self.find(
                "EventLogEntry",
                [["id", "greater_than", cursor]],
                fields,
                order=[{"field_name": "id", "direction": "asc"}],
                limit=batch,
            )
            if not page:
                return
            yield from page
            cursor = page[-1]["id"]

    # -- schema -------------------------------------------------------------------------------------

    def schema_read(self) -> dict[str, dict[str, Any]]:
        schema = self.catalog.schema
        return {t: {n: field_schema(f) for n, f in schema.fields[t].items()} for t in schema.types}

    def schema_entity_read(self) -> dict[str, Any]:
        schema = self.catalog.schema
        return {t: entity_schema(e) for t, e in schema.types.items()}

    def schema_field_read(self, entity_type: str, field_name: str | None = None) -> dict[str, Any]:
        self.catalog.refresh_if_unknown(entity_type, field_name)
        schema = self.catalog.schema
        if field_name is None:
            return {n: field_schema(f) for n, f in schema.fields_of(entity_type).items()}
        return {field_name: field_schema(schema.field(entity_type, field_name))}

    def schema_field_create(
        self, entity_type: str, data_type: str, display_name: str, properties: Mapping[str, Any] | None = None
    ) -> str:
        return self.catalog.create_field(
            entity_type,
            data_type,
            display_name,
            dict(properties or {}),
            actor=self.actor,
            events=TransactionEvents,
        )

    def schema_field_update(self, entity_type: str, field_name: str, properties: Mapping[str, Any]) -> bool:
        self.catalog.update_field(
            entity_type, field_name, dict(properties), actor=self.actor, events=TransactionEvents
        )
        return True

    def schema_field_delete(self, entity_type: str, field_name: str) -> bool:
        self.catalog.delete_field(entity_type, field_name, actor=self.actor, events=TransactionEvents)
        return True

    def schema_field_revive(self, entity_type: str, field_name: str) -> bool:
        self.catalog.revive_field(entity_type, field_name, actor=self.actor, events=TransactionEvents)
        return True

    def schema_entity_create(
        self, entity_type: str, display_name: str | None = None, *, project_scoped: bool = True
    ) -> bool:
        self.catalog.create_entity_type(entity_type, display_name, project_scoped=project_scoped)
        return True

    def schema_entity_update(
        self, entity_type: str, *, display_name: str | None = None, visible: bool | None = None
    ) -> bool:
        self.catalog.update_entity_type(entity_type, display_name=display_name, visible=visible)
        return True

    def schema_entity_delete(self, entity_type: str) -> bool:
        self.catalog.delete_entity_type(entity_type)
        return True

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Shotlog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_request(tx: WriteTransaction, req: Mapping[str, Any]) -> Any:
    if not isinstance(req, Mapping):
        raise ValidationError(f"A batch request must be a dict, got {req!r}", value=req)
    kind = req.get("request_type")
    entity_type = req.get("entity_type", req.get("type"))
    if not isinstance(entity_type, str):
        raise ValidationError(f"A batch request needs entity_type, got {req!r}", value=dict(req))
    if kind == "create":
        return tx.create(entity_type, req.get("data", {}), req.get("return_fields"))
    entity_id = req.get("entity_id", req.get("id"))
    if kind == "update":
        modes = req.get("multi_entity_update_modes")
        return tx.update(entity_type, entity_id, req.get("data", {}), modes)
    if kind == "delete":
        return tx.delete(entity_type, entity_id)
    if kind == "revive":
        return tx.revive(entity_type, entity_id)
    raise ValidationError(
        f"Unknown batch request_type {kind!r}; use create, update, delete or revive", value=kind
    )


def connect(url: str = DEFAULT_URL, **options: Any) -> Shotlog:
    """Open (and, unless ``migrate=False``, create or upgrade) the database at ``url``."""
    return Shotlog(url, **options)
