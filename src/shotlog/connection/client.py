"""The in-process Python API: ``shotlog.connect(url)``.

Method names and arguments follow shotgun_api3, so code written for the official client runs here
unchanged. Every write commits with the EventLogEntry rows it produces; ``batch`` groups several.
"""

from __future__ import annotations

import dataclasses
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.access.passwords import hash_password
from shotlog.clock import WriteClock, utcnow_seconds
from shotlog.connection.batches import BatchError, run_request
from shotlog.connection.following import Following
from shotlog.connection.schema_editing import SchemaEditing
from shotlog.connection.visibility import Visibility
from shotlog.errors import NotFound, ShotlogError, UnknownEntityType, UnknownField, ValidationError
from shotlog.eventlog import EVENT_FIELDS
from shotlog.eventlog import read as eventlog
from shotlog.eventlog.events import Actor, LinkInfo
from shotlog.eventlog.floor import check_cursor
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.query.filters import to_wire
from shotlog.schema.model import Schema
from shotlog.store.catalog import Catalog
from shotlog.store.changes import hash_batch_passwords, hash_passwords
from shotlog.store.database import DEFAULT_URL, Database
from shotlog.store.migrate import open_schema
from shotlog.store.permission_rules import rulebook
from shotlog.store.reader import Query, check_presets
from shotlog.store.seed import DEFAULT_SCRIPT
from shotlog.store.summaries import summarize
from shotlog.store.writer import WriteTransaction

__all__ = ["DEFAULT_SCRIPT", "BatchError", "Shotlog", "connect"]

T = TypeVar("T")

_ACTOR_TTL = 1.0
DEFAULT_PAGE = 500


class _Shared:
    """What every view of one database shares: the engines, the schema catalog, the write clock."""

    def __init__(self, url: str, migrate: bool, sqlite_synchronous: str, write_clock: WriteClock) -> None:
        self.db, self.write_clock = Database(url, sqlite_synchronous=sqlite_synchronous), write_clock
        open_schema(self.db, migrate=migrate, events=TransactionEvents, now=write_clock)
        self.catalog = Catalog(self.db)


class Shotlog(Following, SchemaEditing, Visibility):
    """A connection to a shotlog database, acting as one user."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        migrate: bool = True,
        sqlite_synchronous: str = "FULL",
        write_clock: WriteClock | None = None,  # for loading a history (the demo): never the server
        _shared: _Shared | None = None,
        _user: tuple[str, int] | None = None,
        _sudo_actual: LinkInfo | None = None,
        _session_uuid: str | None = None,
    ) -> None:
        self._shared = _shared or _Shared(url, migrate, sqlite_synchronous, write_clock or utcnow_seconds)
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
                    self._shared.write_clock(),
                    events=TransactionEvents,
                    hash_password=hash_password,
                    shotlog_itself=self._user is None,
                )
                result = fn(tx)
                tx.finish()
                return result

            # rule sets reloaded now when due, not inside the write (their queries would hold it)
            rulebook(self.catalog).refresh(self.db)
            try:
                # concurrent writers (server threads) share a commit, and its fsync
                return self.db.write_grouped(work)
            except (UnknownEntityType, UnknownField):
                # Another process may have changed the schema since we loaded it: reload, retry once.
                if attempt == 2 or not self._schema_changed():
                    raise
        raise AssertionError("unreachable")

    def transaction(self, fn: Callable[[WriteTransaction], T]) -> T:
        """``fn(tx)`` in one write transaction with its events, as this view's user: for shotlog's
        own services (``shotlog.files``) whose rows must commit with the entity writes they go with.
        ``fn`` may run more than once (a schema reload, a serialization abort): it must act only
        through ``tx``."""
        return self._write(fn)

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
        return self._read(lambda conn, schema: self._visible(conn, schema, q, utcnow_seconds()), entity_type)

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
            now = utcnow_seconds()
            rows = self._visible(conn, schema, q, now)
            total = self._visible_count(conn, schema, q, now) if count else None
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
                self._scoped_summary(conn, entity_type, wire, summary_fields, grouping),
                summary_fields,
                grouping,
                include_archived_projects,
                utcnow_seconds(),
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
                    results.append(run_request(tx, req))
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

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Shotlog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str = DEFAULT_URL, **options: Any) -> Shotlog:
    """Open (and, unless ``migrate=False``, create or upgrade) the database at ``url``."""
    return Shotlog(url, **options)
