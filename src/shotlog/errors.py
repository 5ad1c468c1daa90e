"""shotlog's own error types.

Every failure a caller can cause is one of these, with a message that names the entity type, field
and value involved. Driver errors are translated into them at the storage boundary
(``shotlog.store.engine``), so no layer above the store ever sees a SQLAlchemy or DBAPI exception.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = [
    "ConflictError",
    "FilterError",
    "NotFound",
    "PermissionDenied",
    "ReadOnlyField",
    "SchemaError",
    "ShotlogError",
    "StorageError",
    "UnknownEntityType",
    "UnknownField",
    "ValidationError",
    "incident_ref",
    "shown",
]


class ShotlogError(Exception):
    """Base of every error shotlog raises on purpose."""

    #: api3 error_code the server layer maps this error to (104 = CRUD/permission Fault).
    error_code = 104

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ValidationError(ShotlogError):
    """A value does not fit its field (wrong type, not a valid value, link to a missing entity...)."""


class UnknownEntityType(ValidationError):
    def __init__(self, entity_type: object) -> None:
        super().__init__(f"Unknown entity type {entity_type!r}", entity_type=entity_type)


class UnknownField(ValidationError):
    def __init__(self, entity_type: str, field: object) -> None:
        super().__init__(f"{entity_type} has no field {field!r}", entity_type=entity_type, field=field)


class ReadOnlyField(ValidationError):
    def __init__(self, entity_type: str, field: str) -> None:
        super().__init__(
            f"{entity_type}.{field} is read-only and cannot be written",
            entity_type=entity_type,
            field=field,
        )


class FilterError(ValidationError):
    """A filter is malformed, names an unknown field, or uses a relation the field does not support."""


class NotFound(ShotlogError):
    def __init__(
        self, entity_type: str, entity_id: object, *, retired: bool | None = None, key: str = "id"
    ) -> None:
        """``key``: what ``entity_id`` is (``name`` where a name was looked up), for the message."""
        state = {True: "retired ", False: "active ", None: ""}[retired]
        super().__init__(
            f"No {state}{entity_type} with {key} {entity_id!r}",
            entity_type=entity_type,
            entity_id=entity_id,
        )


class PermissionDenied(ShotlogError):
    """The acting user may not do this (for example update or delete an EventLogEntry)."""


class SchemaError(ShotlogError):
    """A schema change is invalid (duplicate name, bad data type, built-in field...)."""


class ConflictError(ShotlogError):
    """A uniqueness rule was violated (for example two Projects with the same name)."""


class StorageError(ShotlogError):
    """The database failed in a way the caller did not cause (connection lost, lock timeout)."""

    error_code = 104


def incident_ref() -> str:
    """A random id for one server-side failure, quoted to the client and written to the log (the
    shape of the REST envelope's error ids, which carry it).

    A client is told only this id, never the driver's text or SQL; an operator finds the
    traceback by searching the log for it."""
    return uuid.uuid4().hex


def shown(value: object, limit: int = 200) -> str:
    """``repr(value)`` cut to ``limit`` characters: an error names the bad value it was given
    without echoing a huge one back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
