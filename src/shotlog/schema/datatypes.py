"""FPTR's field data types and how each is stored, filtered and validated.

This module is pure: it knows nothing about a database connection. The store turns
``Storage`` into columns and tables; the filter compiler asks ``relations`` which operators a
field accepts; ``shotlog.values`` checks a value against ``max_length``.

FPTR documents the ranges of its numbers but no length for its text, lists or links, so the
lengths here are shotlog's own (docs/python-api.md, "Value limits"): generous for what people
write, tight where a value is a code (a status, a color, a UUID), so that one value can no longer
make every page, list and event that shows it megabytes long.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from shotlog.settings import MAX_JSON_LENGTH, MAX_TEXT_LENGTH

__all__ = [
    "DATA_TYPES",
    "JSON_MAX_LENGTH",
    "LIST_VALUE_MAX_LENGTH",
    "TEXT_MAX_LENGTH",
    "DataType",
    "Storage",
    "data_type",
]

#: default longest text value, in characters (``SHOTLOG_MAX_TEXT_LENGTH`` raises or lowers it)
TEXT_MAX_LENGTH = MAX_TEXT_LENGTH.default
#: default longest ``serializable`` value (an event's ``meta``), in characters of its JSON text
#: (``SHOTLOG_MAX_JSON_LENGTH``); FPTR's webhooks already drop the values of a payload past 1 MB
JSON_MAX_LENGTH = MAX_JSON_LENGTH.default
#: longest value of a list or status list that declares no valid values (those that do accept
#: exactly the values they declare)
LIST_VALUE_MAX_LENGTH = 255


class Storage(enum.Enum):
    COLUMN = "column"  # one column on the entity's table
    LINK = "link"  # single-entity link: a type column and an id column
    MULTI = "multi"  # many links: rows in the entity_links table
    TAGS = "tags"  # a list of strings: rows in the entity_tags table
    REVERSE = "reverse"  # read-only view of another type's link field pointing here
    VIRTUAL = "virtual"  # computed by FPTR (summary, pivot): not stored, reads as null


_EQ = ("is", "is_not", "in", "not_in")
_ORDER = ("less_than", "greater_than", "between", "not_between")
_TEXT = ("contains", "not_contains", "starts_with", "ends_with")
_TIME = (
    "in_last",
    "not_in_last",
    "in_next",
    "not_in_next",
    "in_calendar_day",
    "in_calendar_week",
    "in_calendar_month",
    "in_calendar_year",
)
_LINK = (
    "is",
    "is_not",
    "in",
    "not_in",
    "type_is",
    "type_is_not",
    "name_contains",
    "name_not_contains",
    "name_starts_with",
    "name_ends_with",
    "name_is",
)


@dataclass(frozen=True, slots=True)
class DataType:
    name: str
    storage: Storage
    #: Python/JSON kind a stored value has: str, int, float, bool, date, datetime, json, link, links, tags
    kind: str
    relations: tuple[str, ...]
    #: value read back when nothing was stored
    empty: object = None
    sortable: bool = True
    #: longest value in characters (text) or characters of its JSON text (url, serializable); None:
    #: bounded otherwise (numbers, dates, links) or by a setting (text, serializable)
    max_length: int | None = None


def _dt(
    name: str,
    storage: Storage,
    kind: str,
    relations: tuple[str, ...],
    empty: object = None,
    sortable: bool = True,
    max_length: int | None = None,
) -> DataType:
    return DataType(name, storage, kind, relations, empty, sortable, max_length)


_ALL = [
    _dt("text", Storage.COLUMN, "str", _EQ + _TEXT),
    _dt("number", Storage.COLUMN, "int", _EQ + _ORDER),
    _dt("float", Storage.COLUMN, "float", _EQ + _ORDER),
    _dt("percent", Storage.COLUMN, "int", _EQ + _ORDER),
    _dt("duration", Storage.COLUMN, "int", _EQ + _ORDER),
    _dt("timecode", Storage.COLUMN, "int", _EQ + _ORDER),
    _dt("currency", Storage.COLUMN, "float", _EQ + _ORDER),
    _dt("checkbox", Storage.COLUMN, "bool", ("is", "is_not"), empty=False),
    _dt("date", Storage.COLUMN, "date", _EQ + _ORDER + _TIME),
    _dt("date_time", Storage.COLUMN, "datetime", _EQ + _ORDER + _TIME),
    _dt("list", Storage.COLUMN, "str", _EQ + _TEXT, max_length=LIST_VALUE_MAX_LENGTH),
    _dt("status_list", Storage.COLUMN, "str", _EQ + _TEXT, max_length=LIST_VALUE_MAX_LENGTH),
    # an entity type's name (the schema's names are at most 255 characters too)
    _dt("entity_type", Storage.COLUMN, "str", _EQ, max_length=255),
    # "R,G,B" or a keyword such as pipeline_step
    _dt("color", Storage.COLUMN, "str", _EQ + _TEXT, max_length=64),
    _dt("uuid", Storage.COLUMN, "str", _EQ, max_length=64),
    _dt("footage", Storage.COLUMN, "str", _EQ + _TEXT, max_length=64),
    _dt("calculated", Storage.COLUMN, "str", _EQ + _TEXT),
    # Not filterable in FPTR: a filter on these is a Fault (checked by the client's own tests).
    # A file/link holds a URL and up to three platforms' paths: 32 KiB of JSON leaves each path
    # its 4,096 characters (PATH_MAX) and a URL several times what browsers and proxies accept.
    _dt("url", Storage.COLUMN, "json", (), sortable=False, max_length=32_768),
    _dt("serializable", Storage.COLUMN, "json", (), sortable=False),
    # the web UI's rule too; Argon2 hashes whatever it is given, so a long one costs CPU as well
    _dt("password", Storage.COLUMN, "str", (), sortable=False, max_length=1_024),
    # a thumbnail's URL
    _dt("image", Storage.COLUMN, "str", ("is", "is_not"), sortable=False, max_length=4_096),
    _dt("entity", Storage.LINK, "link", _LINK),
    _dt("multi_entity", Storage.MULTI, "links", _LINK, empty=(), sortable=False),
    _dt("addressing", Storage.MULTI, "links", _LINK, empty=(), sortable=False),
    _dt(
        "tag_list",
        Storage.TAGS,
        "tags",
        ("is", "is_not", "in", "not_in", "name_id"),
        empty=(),
        sortable=False,
    ),
    _dt("summary", Storage.VIRTUAL, "json", (), sortable=False),
    _dt("pivot_column", Storage.VIRTUAL, "json", (), sortable=False),
]

DATA_TYPES: dict[str, DataType] = {t.name: t for t in _ALL}

# The client and FPTR docs also speak of "integer"; it behaves as "number".
DATA_TYPES["integer"] = DataType("integer", Storage.COLUMN, "int", _EQ + _ORDER)


def data_type(name: str) -> DataType:
    try:
        return DATA_TYPES[name]
    except KeyError:
        from shotlog.errors import SchemaError

        raise SchemaError(
            f"Unknown data type {name!r}; expected one of {', '.join(sorted(DATA_TYPES))}",
            data_type=name,
        ) from None
