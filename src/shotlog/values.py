"""Field values: checking what callers send and shaping what they read back.

Pure functions, no database. The in-process API uses Python values shaped as shotgun_api3 returns
them: ``date_time`` as an aware ``datetime``, ``date`` as ``"YYYY-MM-DD"``, links as
``{"type", "id", "name"}`` dicts, multi-entity values as lists of links, checkboxes never null.
Storage uses naive UTC datetimes and ``datetime.date``.

Every value is also held to a length (``ValueLimits``): text, lists, codes, passwords, file links
and ``serializable`` values (an event's ``meta``) each have a longest value, checked here so that
every way in (api3, REST, the web UI, the Python API) refuses the same values with the same fault.
The two limits people may need to move are settings, read once when shotlog is imported:
``SHOTLOG_MAX_TEXT_LENGTH`` and ``SHOTLOG_MAX_JSON_LENGTH``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shotlog import filelinks
from shotlog.errors import ValidationError
from shotlog.schema.datatypes import JSON_MAX_LENGTH, TEXT_MAX_LENGTH
from shotlog.schema.model import Field
from shotlog.settings import MAX_JSON_LENGTH, MAX_TEXT_LENGTH

__all__ = [
    "LIMITS",
    "TAGS_MAX",
    "TAG_MAX",
    "Link",
    "Thumbnail",
    "ValueLimits",
    "coerce",
    "coerce_link",
    "coerce_links",
    "format_meta_value",
    "from_storage",
    "meta_datetime",
    "to_storage_datetime",
]

Link = tuple[str, int]

#: longest tag name: entity_tags.tag is VARCHAR(255)
TAG_MAX = 255
#: most tags on one value: a tag list is a value like any other, and bounded like one
TAGS_MAX = 1_000

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COLOR = re.compile(r"^(\d{1,3}),(\d{1,3}),(\d{1,3})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """An ``image`` field's value: the Attachment holding the uploaded image, and whether its
    renditions are still being made (FPTR's transient thumbnail).

    Only shotlog's files service makes these: a client sets a thumbnail by uploading a file, never
    by writing the field, so ``coerce`` refuses any other value but None. Stored as text,
    ``"<attachment id>"`` or ``"<attachment id>:pending"``; events show the attachment id.
    """

    attachment_id: int
    pending: bool = False

    def stored(self) -> str:
        return f"{self.attachment_id}:pending" if self.pending else str(self.attachment_id)

    @staticmethod
    def parse(stored: object) -> Thumbnail | None:
        """The thumbnail a stored image value names; None for null or a value of another form."""
        if not isinstance(stored, str):
            return None
        number, _, flag = stored.partition(":")
        if not number.isdigit() or flag not in ("", "pending"):
            return None
        return Thumbnail(int(number), pending=flag == "pending")


@dataclass(frozen=True, slots=True)
class ValueLimits:
    """The longest values a write accepts, in characters (of the JSON text, for JSON values).

    ``text`` bounds text and calculated fields, ``json`` the ``serializable`` ones (an event's
    ``meta``); every other data type has a fixed bound of its own (``DataType.max_length``)."""

    text: int = TEXT_MAX_LENGTH
    json: int = JSON_MAX_LENGTH

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ValueLimits:
        """``SHOTLOG_MAX_TEXT_LENGTH`` and ``SHOTLOG_MAX_JSON_LENGTH``, else the defaults."""
        return cls(
            text=MAX_TEXT_LENGTH.read(env),
            json=MAX_JSON_LENGTH.read(env),
        )

    def max_length(self, field: Field) -> int | None:
        """The longest value ``field`` takes, or None for data types bounded by their kind."""
        dtype = field.dtype
        if dtype.max_length is not None:
            return dtype.max_length
        if dtype.kind == "str":
            return self.text
        if dtype.kind == "json":
            return self.json
        return None


#: the limits of this process, from its environment (tests pass limits of their own to ``coerce``)
LIMITS = ValueLimits.from_env()


def _too_long(
    field: Field, length: int, limit: int, excerpt: str, unit: str = "characters"
) -> ValidationError:
    # The message quotes only the start of the value: echoing megabytes back helps nobody.
    shown = excerpt[:40] + "…" if len(excerpt) > 40 else excerpt
    return ValidationError(
        f"{field.qualified} ({field.data_type}) is limited to {limit:,} {unit}, got {length:,}: {shown!r}",
        entity_type=field.entity_type,
        field=field.name,
        value=shown,
        limit=limit,
    )


def _bad(field: Field, value: object, expected: str) -> ValidationError:
    return ValidationError(
        f"{field.qualified} ({field.data_type}) expects {expected}, got {value!r}",
        entity_type=field.entity_type,
        field=field.name,
        value=value,
    )


def to_storage_datetime(value: object, field: Field | None = None) -> dt.datetime:
    """A datetime as naive UTC. Naive input is local time, as shotgun_api3 treats it."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            if field is None:
                raise ValidationError(f"Not a datetime: {value!r}", value=value) from None
            raise _bad(field, value, "a datetime (YYYY-MM-DDTHH:MM:SSZ)") from None
    if isinstance(value, dt.datetime):
        try:
            aware = value if value.tzinfo is not None else value.astimezone()
            return aware.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range by the offset
            if field is None:
                raise ValidationError(f"Datetime out of range: {value!r}", value=value) from None
            raise _bad(field, value, "a datetime between years 1 and 9999 in UTC") from None
    if field is None:
        raise ValidationError(f"Not a datetime: {value!r}", value=value)
    raise _bad(field, value, "a datetime")


def _date(field: Field, value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _bad(field, value, "a date (YYYY-MM-DD), not a datetime")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad(field, value, "a date (YYYY-MM-DD)")


def coerce_link(field: Field, value: object, valid_types: tuple[str, ...] | None = None) -> Link:
    """A link dict ``{"type": T, "id": n}`` checked against the field's valid types."""
    if not isinstance(value, Mapping) or "type" not in value or "id" not in value:
        raise _bad(field, value, 'an entity link {"type": ..., "id": ...}')
    etype, eid = value["type"], value["id"]
    if not isinstance(etype, str) or not isinstance(eid, int) or isinstance(eid, bool):
        raise _bad(field, value, "an entity link with a string type and an integer id")
    if not -(2**63) <= eid < 2**63:  # ids are BIGINT; a wider one can only fail in the driver
        raise _bad(field, value, "an entity link with an id that fits in 64 bits")
    allowed = field.valid_types if valid_types is None else valid_types
    if allowed and "*" not in allowed and etype not in allowed:
        raise ValidationError(
            f"{field.qualified} cannot link to {etype} {eid}; valid types are {', '.join(allowed)}",
            entity_type=field.entity_type,
            field=field.name,
            value=dict(value),
        )
    return (etype, eid)


def coerce_links(field: Field, value: object) -> list[Link]:
    if value is None:
        return []
    if isinstance(value, Mapping):  # FPTR accepts a single link for a multi-entity field
        value = [value]
    if not isinstance(value, list | tuple):
        raise _bad(field, value, "a list of entity links")
    out: list[Link] = []
    for item in value:
        link = coerce_link(field, item)
        if link not in out:
            out.append(link)
    return out


def coerce(field: Field, value: object, limits: ValueLimits | None = None) -> Any:
    """Check one value for a COLUMN/TAGS field and return its storage form (None allowed).

    ``limits``: the longest values accepted; the process's own (``LIMITS``) unless given."""
    kind = field.dtype.kind
    if value is None:
        if kind == "bool":
            return False
        if kind == "tags":
            return []
        return None
    if field.data_type == "image":
        if isinstance(value, Thumbnail):
            return value.stored()
        raise ValidationError(
            f"{field.qualified} (image): a thumbnail is set by uploading an image "
            "(shotgun_api3 upload_thumbnail, or REST POST .../{field}/_upload), not by writing a value; "
            f"got {value!r}",
            entity_type=field.entity_type,
            field=field.name,
            value=value,
        )
    if kind == "str":
        if not isinstance(value, str):
            raise _bad(field, value, "a string")
        limit = (limits or LIMITS).max_length(field)
        # first, so that no later message quotes the whole value; a list's declared values are
        # accepted as declared, however long
        if limit is not None and len(value) > limit and value not in field.valid_values:
            raise _too_long(field, len(value), limit, value)
        return _check_text(field, value)
    if kind == "int":
        number = value
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise _bad(field, value, "an integer")
        # The columns are BIGINT: anything wider fails in the driver with no field named.
        if not -(2**63) <= number < 2**63:
            raise _bad(field, value, "an integer that fits in 64 bits")
        return number
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(field, value, "a number")
        try:
            number = float(value)
        except OverflowError:  # an int beyond the double range
            raise _bad(field, value, "a finite number") from None
        if not math.isfinite(number):
            raise _bad(field, value, "a finite number")
        return number
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(field, value, "true or false")
        return value
    if kind == "date":
        return _date(field, value)
    if kind == "datetime":
        return to_storage_datetime(value, field)
    if kind == "json":
        return _check_json(field, value, (limits or LIMITS).max_length(field))
    if kind == "tags":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise _bad(field, value, "a list of tag names")
        if len(value) > TAGS_MAX:
            raise ValidationError(
                f"{field.qualified} ({field.data_type}) is limited to {TAGS_MAX:,} tags, got {len(value):,}",
                entity_type=field.entity_type,
                field=field.name,
                limit=TAGS_MAX,
            )
        for tag in value:
            if not tag or len(tag) > TAG_MAX or _unstorable(tag):
                raise _bad(field, value, f"tag names of 1 to {TAG_MAX} characters of valid text")
        return list(dict.fromkeys(value))
    raise _bad(field, value, f"a value of a storable type, not {field.data_type}")


def _check_text(field: Field, value: str) -> str:
    dtype = field.data_type
    if dtype in ("list", "status_list") and field.valid_values and value not in field.valid_values:
        raise ValidationError(
            f"{field.qualified}: {value!r} is not a valid value; "
            f"valid values are {', '.join(field.valid_values)}",
            entity_type=field.entity_type,
            field=field.name,
            value=value,
        )
    if dtype == "color" and not (_COLOR.match(value) or value.replace("_", "").isalnum()):
        raise _bad(field, value, 'a color "R,G,B" or a color keyword')
    if dtype == "color":
        m = _COLOR.match(value)
        if m and any(int(c) > 255 for c in m.groups()):
            raise _bad(field, value, "color components from 0 to 255")
    if dtype == "uuid" and not _UUID.match(value):
        raise _bad(field, value, "a UUID")
    if "\x00" in value:
        raise _bad(field, value, "text without NUL characters")
    if _unstorable(value):
        raise _bad(field, value, "valid Unicode text (no unpaired surrogates)")
    return value


def _unstorable(text: str) -> bool:
    """True for text neither backend can store: NUL (PostgreSQL) or lone surrogates (both)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _json_storable(value: object) -> bool:
    """JSONB refuses NaN/Infinity and strings with NUL; no driver encodes lone surrogates."""
    if isinstance(value, str):
        return not _unstorable(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(_json_storable(k) and _json_storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_json_storable(v) for v in value)
    return True


def _check_json(field: Field, value: object, limit: int | None) -> Any:
    if field.data_type == "url":
        # a local file to resolve against the storage roots is the writer's (filelinks.resolve);
        # here it arrives resolved, or as a web link, an upload or a local link given whole
        value = filelinks.shape(field, value)
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        raise _bad(field, value, "a JSON-serializable value") from None
    if limit is not None and len(text) > limit:
        raise _too_long(field, len(text), limit, text, "characters of JSON")
    if not _json_storable(value):
        raise _bad(field, value, "JSON without NaN, infinities, NUL characters or unpaired surrogates")
    return value


def from_storage(field: Field, value: Any) -> Any:
    """Shape a stored COLUMN value the way the Python API returns it."""
    kind = field.dtype.kind
    if value is None:
        return False if kind == "bool" else None
    if kind == "datetime":
        if isinstance(value, str):  # defensive: raw SQLite text
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "bool":
        return bool(value)
    if field.data_type == "password":
        return None  # never read back a password, not even its hash
    return value


def meta_datetime(value: dt.datetime) -> str:
    """Timestamps inside event meta: "YYYY-MM-DD HH:MM:SS UTC", which clients keep as strings."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_meta_value(field: Field, value: Any) -> Any:
    """A stored scalar as it appears in an event's meta old_value/new_value."""
    if value is None:
        return None
    kind = field.dtype.kind
    if kind == "datetime":
        return meta_datetime(value)
    if kind == "date":
        return value.isoformat()
    if field.data_type == "password":
        return None
    if field.data_type == "image":
        thumb = Thumbnail.parse(value)
        return value if thumb is None else thumb.attachment_id
    return value
