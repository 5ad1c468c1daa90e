"""Change sets: what a create or an update changes, worked out before anything is written. Pure.

``plan_create`` and ``plan_update`` turn the caller's data (and, for an update, the entity's row as
read and its current multi-entity and tag values) into a ``ChangeSet``: every value checked and
coerced to its storage form, the HumanUser name kept in step with its parts, the changes that
really happen, and the mandatory fields refused when missing or cleared. Nothing here reads the
database or the clock. The two functions a plan is handed are its only outside help: the storage
roots (read by the writer only when a local file link needs them) and the password hasher (used
only for a password that was not hashed before the transaction, see ``hash_passwords``).

The writer (``shotlog.store.writer``) then checks what needs the database, writes the rows,
completes the change set with the entity's id and the names of the linked entities, and hands it to
the event recorder (``shotlog.store.ports``), which builds all its events in one call
(``shotlog.eventlog.changes``). The types events are built from live here, below the event log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from shotlog import filelinks
from shotlog.errors import ReadOnlyField, ValidationError
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field, Schema
from shotlog.store.subjects import Resolved, Subject
from shotlog.values import Link, coerce, coerce_link, coerce_links, to_storage_datetime

__all__ = [
    "UPDATE_MODES",
    "ChangeSet",
    "CustomEvent",
    "FieldChange",
    "Merged",
    "PasswordHash",
    "Retirement",
    "SchemaChange",
    "hash_batch_passwords",
    "hash_passwords",
    "plan_create",
    "plan_update",
    "subject_of",
]

UPDATE_MODES = ("set", "add", "remove")
_SYSTEM_FIELDS = frozenset({"id", "created_at", "updated_at", "created_by", "updated_by"})
#: system fields a create may set, as FPTR lets API scripts do (imports and migrations keep the
#: original author and date); updated_* stay the server's, and none of them changes on update
CREATE_ONLY = ("created_by", "created_at")
#: the field FPTR fills with the caller when a create leaves it out (a Reply's author)
_AUTHOR_FIELDS = {"Reply": "user"}
_COLLECTIONS = (Storage.MULTI, Storage.REVERSE, Storage.TAGS)

# -- change sets -----------------------------------------------------------------------------------


class FieldChange(NamedTuple):
    """One field's change: old and new storage values (links as (type, id), lists for collections).

    A create's changes start from nothing: None, or an empty list for a collection."""

    field: Field
    old: Any
    new: Any


class PasswordHash(str):
    """A password value already hashed (``shotlog.access.passwords.hash_password``): stored as given."""

    __slots__ = ()


@dataclass(slots=True)
class ChangeSet:
    """One entity's create or update: made by a plan, completed by the writer, read by the events.

    The plan fills the first part. The writer adds, once the row is written, the entity's id and
    what events say about it and about every entity a change links or unlinks (``names``)."""

    etype: EntityType
    #: the row before the write (a store row, or ``Merged``); None for a create
    row: Any
    #: every value given, coerced, by field name in the caller's order
    values: dict[str, tuple[Field, Any]]
    #: what really changes, in the caller's order (a create: every value)
    changes: list[FieldChange]
    #: a create's ``created_by``/``created_at`` given by the caller
    authored: list[FieldChange] = field(default_factory=list)
    #: a create's fields to read back, in the caller's order
    read_back: list[str] = field(default_factory=list)
    # -- completed by the writer
    schema: Schema | None = None
    subject: Subject | None = None
    status: str | None = None
    names: Resolved = field(default_factory=dict)
    created: bool = field(init=False)

    def __post_init__(self) -> None:
        #: a create (no row before); a plain attribute, as events ask it once per change
        self.created = self.row is None


@dataclass(frozen=True, slots=True)
class Retirement:
    """An entity retired (``revived=False``, ``when`` the retirement date) or revived (``when`` the
    date it had been retired, if known)."""

    subject: Subject
    when: dt.datetime | None
    revived: bool = False


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """A field created, changed (``before`` is the field as it was), retired or revived (``when``:
    the retirement date, now for a retirement)."""

    kind: str  # "created", "changed", "retired", "revived"
    field: Field
    before: Field | None = None
    when: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomEvent:
    """An EventLogEntry a client (or shotlog's own code) creates as such, values checked."""

    event_type: str
    description: str | None = None
    entity: Link | None = None
    project: Link | None = None
    attribute_name: str | None = None
    meta: Any = None
    user: Link | None = None


class Merged:
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


def subject_of(schema: Schema, etype: EntityType, entity_id: int, row: Any) -> tuple[Subject, str | None]:
    """The entity as events name it, from its row: (subject, its status or None)."""
    fields = schema.fields[etype.name]
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
    status = fields.get("sg_status_list")
    state = getattr(row, status.column) if status is not None and status.column else None
    return Subject(etype, entity_id, name, project), state


# -- plans -----------------------------------------------------------------------------------------

Roots = Callable[[], Sequence[filelinks.StorageRoot]]
Hasher = Callable[[str], str]


def plan_create(
    schema: Schema,
    etype: EntityType,
    data: Mapping[str, Any],
    *,
    caller: Link | None,
    roots: Roots,
    hash_password: Hasher | None,
) -> ChangeSet:
    """A create of ``etype`` with ``data`` by ``caller``: values, defaults, mandatory fields."""
    data = dict(data)
    author_field = _AUTHOR_FIELDS.get(etype.name)
    if author_field and author_field not in data and caller is not None:
        data[author_field] = {"type": caller[0], "id": caller[1]}
    asked = list(data)
    authored = _authorship(schema, etype, data)
    if etype.name == "HumanUser":
        _derive_user_name(data)
    values = _coerce_all(schema, etype, data, roots, hash_password)
    fields = schema.fields[etype.name]
    for f in fields.values():
        if f.name in values or f.default is None or f.storage is not Storage.COLUMN:
            continue
        if f.data_type == "checkbox" and f.default is False:
            continue
        values[f.name] = (f, coerce(f, f.default))
    for f in fields.values():
        if f.mandatory and values.get(f.name, (f, None))[1] in (None, "", []):
            raise ValidationError(
                f"{etype.name}.{f.name} ({f.display_name}) is required", entity_type=etype.name, field=f.name
            )
    keys = asked + [k for k in data if k not in asked]  # with what _derive_user_name added
    read_back = [k for k in keys if k in values or k in CREATE_ONLY]
    changes = [FieldChange(f, [] if f.storage in _COLLECTIONS else None, v) for f, v in values.values()]
    return ChangeSet(etype, None, values, changes, authored, read_back)


def collection_fields(schema: Schema, etype: EntityType, data: Mapping[str, Any]) -> list[Field]:
    """The multi-entity, reverse and tag fields ``data`` names: ``plan_update`` needs their values."""
    fields = schema.fields[etype.name]
    out = []
    for name in data:
        f = fields.get(name) if isinstance(name, str) else None
        if f is not None and f.storage in _COLLECTIONS:
            out.append(f)
    return out


def plan_update(
    schema: Schema,
    etype: EntityType,
    row: Any,
    data: Mapping[str, Any],
    modes: Mapping[str, Any],
    current: Mapping[str, list[Any]],
    *,
    roots: Roots,
    hash_password: Hasher | None,
) -> ChangeSet:
    """An update of the entity whose ``row`` was read: what changes, given the ``current`` values of
    the collection fields named in ``data`` (``collection_fields``) and the per-field ``modes``."""
    data = dict(data)
    if etype.name == "HumanUser":
        _derive_user_name(data, row)
    values = _coerce_all(schema, etype, data, roots, hash_password)
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
        if mode != "set" and f.storage not in _COLLECTIONS:
            raise ValidationError(
                f"{f.qualified} ({f.data_type}) is not a multi-entity field; "
                f"update mode {mode!r} does not apply",
                entity_type=etype.name,
                field=name,
                value=mode,
            )
    changes: list[FieldChange] = []
    for name, (f, new) in values.items():
        storage = f.storage
        if storage is Storage.COLUMN:
            old = getattr(row, f.column or f.name)
            if old != new or (f.data_type == "password" and new is not None):
                changes.append(FieldChange(f, old, new))
        elif storage is Storage.LINK:
            assert f.column and f.type_column
            pid = getattr(row, f.column)
            old = (getattr(row, f.type_column), pid) if pid is not None else None
            if old != new:
                changes.append(FieldChange(f, old, new))
        else:
            was = current[f.name]
            target = _apply_mode(was, list(new), modes.get(name, "set"))
            if target != was:
                changes.append(FieldChange(f, was, target))
    for f, _old, new in changes:
        if f.mandatory and new in (None, "", []):
            raise ValidationError(
                f"{etype.name}.{f.name} ({f.display_name}) is required and cannot be cleared, got {new!r}",
                entity_type=etype.name,
                field=f.name,
                value=new,
            )
    return ChangeSet(etype, row, values, changes)


def hash_passwords(schema: Schema, entity_type: object, data: Any, hash_password: Hasher) -> Any:
    """``data`` with each valid password value hashed, or ``data`` itself when it holds none.

    Argon2 takes tens of milliseconds on purpose: done before the write transaction opens, it holds
    no lock (on PostgreSQL an entity write holds the event log's from its first statement). A value
    the write would refuse is left as it is, so the write refuses it with the usual error."""
    # dict first (a C check): the Mapping ABC check costs more than the rest of an ordinary update
    if not isinstance(entity_type, str) or not isinstance(data, (dict, Mapping)):
        return data
    fields = schema.fields.get(entity_type)
    if fields is None:
        return data
    out = None
    for name, value in data.items():
        f = fields.get(name) if isinstance(name, str) else None
        if f is None or f.data_type != "password" or value is None or isinstance(value, PasswordHash):
            continue
        try:
            plain = coerce(f, value)
        except ValidationError:
            continue
        if out is None:
            out = dict(data)
        out[name] = PasswordHash(hash_password(plain))
    return data if out is None else out


def hash_batch_passwords(schema: Schema, requests: Sequence[Any], hash_password: Hasher) -> Sequence[Any]:
    """A batch's ``requests`` with the passwords of their data hashed (``hash_passwords``)."""
    out: list[Any] | None = None
    for index, req in enumerate(requests):
        if isinstance(req, (dict, Mapping)) and "data" in req:
            data = req["data"]
            hashed = hash_passwords(schema, req.get("entity_type", req.get("type")), data, hash_password)
            if hashed is not data:
                out = out if out is not None else list(requests)
                out[index] = {**req, "data": hashed}
    return requests if out is None else out


def _coerce_all(
    schema: Schema, etype: EntityType, data: Mapping[str, Any], roots: Roots, hash_password: Hasher | None
) -> dict[str, tuple[Field, Any]]:
    values = {name: _coerce(schema, etype, name, value, roots, hash_password) for name, value in data.items()}
    _fill_path_cache_storage(schema, etype, values)
    return values


def _coerce(
    schema: Schema, etype: EntityType, name: object, value: Any, roots: Roots, hash_password: Hasher | None
) -> tuple[Field, Any]:
    f = schema.field(etype.name, name)
    if name in _SYSTEM_FIELDS or not f.editable or f.storage is Storage.VIRTUAL:
        raise ReadOnlyField(etype.name, f.name)
    storage = f.storage
    if storage is Storage.LINK:
        return f, None if value is None else coerce_link(f, value)
    if storage in (Storage.MULTI, Storage.REVERSE):
        return f, coerce_links(f, value)
    if f.data_type == "url" and filelinks.is_local_request(value):
        value = filelinks.resolve(f, filelinks.parse_local(f, value), list(roots()))
    v = coerce(f, value)
    if f.data_type == "password" and v is not None:
        if not isinstance(value, PasswordHash):
            if hash_password is None:
                raise AssertionError("a password reached the writer unhashed, and it has no hasher")
            v = hash_password(v)
    elif f.data_type == "entity_type" and v is not None and not schema.has_entity(v):
        raise ValidationError(
            f"{f.qualified} ({f.data_type}) expects the name of an entity type, got {v!r}",
            entity_type=etype.name,
            field=f.name,
            value=v,
        )
    return f, v


def _fill_path_cache_storage(schema: Schema, etype: EntityType, values: dict[str, tuple[Field, Any]]) -> None:
    """A local ``path`` names its storage in ``path_cache_storage`` too, as FPTR fills it (Toolkit's
    find_publish filters on it); a value the caller gave is kept."""
    if "path" not in values:
        return
    target = schema.fields[etype.name].get("path_cache_storage")
    if target is None or "path_cache_storage" in values:
        return
    f, value = values["path"]
    if f.data_type != "url" or not isinstance(value, dict) or value.get("link_type") != "local":
        return
    storage = value.get("local_storage")
    if isinstance(storage, dict) and isinstance(storage.get("id"), int):
        values["path_cache_storage"] = (target, ("LocalStorage", storage["id"]))


def _authorship(schema: Schema, etype: EntityType, data: dict[str, Any]) -> list[FieldChange]:
    """Take ``created_by``/``created_at`` out of a create's data: the ones given (not null), checked.

    A null one means the server's own value (the caller, now), which is also what the rest of
    the event log records. That a given author exists is the writer's check."""
    given: list[FieldChange] = []
    for name in CREATE_ONLY:
        if name not in data:
            continue
        f = schema.field(etype.name, name)
        value = data.pop(name)
        if value is None:
            continue
        if f.storage is Storage.LINK:
            given.append(FieldChange(f, None, coerce_link(f, value)))
        else:
            given.append(FieldChange(f, None, to_storage_datetime(value, f)))
    return given


def _apply_mode(current: list[Any], given: list[Any], mode: str) -> list[Any]:
    if mode == "add":
        return current + [x for x in given if x not in current]
    if mode == "remove":
        return [x for x in current if x not in given]
    return given


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
