"""The event log's row, its driver SQL, and the event as consumers see it. Lean on purpose.

Every reader of ``event_log_entries`` takes its columns from here (``COLUMNS``, in this order: an
``EventRow``), so a column added to the log is added once. Readers that go through SQLAlchemy use
``shotlog.eventlog.read``; the fast paths (the daemon's direct source, a local export and its worker
processes) run the driver SQL built here on a bare DB-API cursor: no statement compilation and no
per-row result objects.

This module imports the standard library and orjson only: a parallel export's worker process
(``shotlog.export.worker``) runs it without importing the store.

"The event as consumers see it" (``shape``) is what ``find("EventLogEntry", ...)`` returns: links as
``{"type", "id", "name"}`` for subjects that exist and are not retired (else None), ``created_at`` as
an aware UTC datetime in whole seconds, ``meta`` decoded. Consumers may present it otherwise (local
time, CSV cells), from this shape.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import orjson

__all__ = [
    "COLUMNS",
    "IMAGE_COLUMNS",
    "EventRow",
    "PageFilter",
    "glob_prefix",
    "glob_to_regex",
    "ids_sql",
    "is_glob",
    "link_refs",
    "page_sql",
    "select_list",
    "shape",
]


class EventRow(NamedTuple):
    """One stored event, its columns in ``COLUMNS`` order (a driver row has the same positions)."""

    id: int
    event_type: str
    description: str | None
    entity_type: str | None
    entity_id: int | None
    project_type: str | None
    project_id: int | None
    user_type: str | None
    user_id: int | None
    attribute_name: str | None
    #: decoded JSON through SQLAlchemy; JSON text on the driver paths (``select_list(text=True)``)
    meta: Any
    session_uuid: str | None
    #: naive UTC (a datetime, or SQLite's text on the driver paths; ISO text with ``iso=True``)
    created_at: Any


#: the stored columns every reader reads, in ``EventRow`` order
COLUMNS: tuple[str, ...] = EventRow._fields
#: the rarely read image and display-name columns, after ``COLUMNS`` when asked for
IMAGE_COLUMNS: tuple[str, ...] = (
    "cached_display_name",
    "image",
    "filmstrip_image",
    "image_source_entity_type",
    "image_source_entity_id",
    "image_blur_hash",
)
(
    ID,
    EVENT_TYPE,
    DESCRIPTION,
    ENTITY_TYPE,
    ENTITY_ID,
    PROJECT_TYPE,
    PROJECT_ID,
    USER_TYPE,
    USER_ID,
    ATTRIBUTE_NAME,
    META,
    SESSION_UUID,
    CREATED_AT,
) = range(len(COLUMNS))

_SQLITE_DT = "%Y-%m-%d %H:%M:%S.%f"


def select_list(
    sqlite: bool,
    *,
    alias: str = "e",
    iso: bool = False,
    images: bool = False,
    omit: Sequence[str] = (),
) -> str:
    """``COLUMNS`` (and ``IMAGE_COLUMNS``) as a driver SELECT list on ``event_log_entries <alias>``.

    The columns in ``omit`` read as NULL: the rows keep their layout, and a reader that never looks
    at a column (the daemon at the description, an export at the project's type) does not pay for
    reading it, about a tenth of a SQLite page read.

    ``meta`` is read as JSON text on both backends (a JSON null as SQL NULL): one orjson parse, or
    none at all when the text is written out as it is. ``iso`` has the database format
    ``created_at`` as ``YYYY-MM-DDTHH:MM:SSZ`` text (an export writes it without a datetime).
    """
    a = f"{alias}."
    cols = [a + c for c in COLUMNS]
    cols[META] = f"NULLIF({a}meta, 'null')" if sqlite else f"NULLIF({a}meta::text, 'null')"
    if iso:
        cols[CREATED_AT] = (
            f"strftime('%Y-%m-%dT%H:%M:%SZ', {a}created_at)"
            if sqlite
            else f"""to_char({a}created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
        )
    for name in omit:
        cols[COLUMNS.index(name)] = "NULL"
    if images:
        cols += [a + c for c in IMAGE_COLUMNS]
    return ", ".join(cols)


class PageFilter(Protocol):
    """The filters a page of the log can apply (``shotlog.export.EventQuery`` has them all): ids
    up to ``max_id``, only ``ids``, ``project_ids``, the subject's type (and ``entity_ids``),
    ``event_types`` (exact names or shell-style patterns such as ``Shotgun_Shot_*``), ``users``
    ((``HumanUser``/``ApiUser``, id) pairs), created in ``[since, until)`` (naive UTC)."""

    @property
    def max_id(self) -> int | None: ...
    @property
    def ids(self) -> tuple[int, ...]: ...
    @property
    def project_ids(self) -> tuple[int, ...]: ...
    @property
    def entity_type(self) -> str | None: ...
    @property
    def entity_ids(self) -> tuple[int, ...]: ...
    @property
    def event_types(self) -> tuple[str, ...]: ...
    @property
    def users(self) -> tuple[tuple[str, int], ...]: ...
    @property
    def since(self) -> dt.datetime | None: ...
    @property
    def until(self) -> dt.datetime | None: ...


def _where(sqlite: bool, f: PageFilter) -> tuple[list[str], list[Any]]:
    """The filter's conditions (without the cursor) and their parameters, in driver style."""
    p = "?" if sqlite else "%s"
    where: list[str] = []
    params: list[Any] = []

    def many(column: str, values: Sequence[Any]) -> None:
        where.append(f"{column} IN ({', '.join([p] * len(values))})")
        params.extend(values)

    if f.max_id is not None:
        where.append(f"e.id <= {p}")
        params.append(f.max_id)
    if f.ids:
        many("e.id", f.ids)
    if f.project_ids:
        many("e.project_id", f.project_ids)
    if f.entity_type is not None:
        where.append(f"e.entity_type = {p}")
        params.append(f.entity_type)
        if f.entity_ids:
            many("e.entity_id", f.entity_ids)
    if f.event_types:
        exact = [t for t in f.event_types if not is_glob(t)]
        alts: list[str] = []
        if exact:
            alts.append(f"e.event_type IN ({', '.join([p] * len(exact))})")
            params.extend(exact)
        for pattern in (t for t in f.event_types if is_glob(t)):
            # GLOB is SQLite's case-sensitive shell match; PostgreSQL gets the anchored regex.
            alts.append(f"e.event_type GLOB {p}" if sqlite else f"e.event_type ~ {p}")
            params.append(pattern if sqlite else glob_to_regex(pattern))
        where.append("(" + " OR ".join(alts) + ")")
    if f.users:
        by_type: dict[str, list[int]] = {}
        for t, i in f.users:
            by_type.setdefault(t, []).append(i)
        alts = []
        for t, ids in by_type.items():
            alts.append(f"(e.user_type = {p} AND e.user_id IN ({', '.join([p] * len(ids))}))")
            params.extend([t, *ids])
        where.append("(" + " OR ".join(alts) + ")")
    for bound, op in ((f.since, ">="), (f.until, "<")):
        if bound is not None:
            where.append(f"e.created_at {op} {p}")
            params.append(bound.strftime(_SQLITE_DT) if sqlite else bound)
    return where, params


def page_sql(
    sqlite: bool,
    limit: int,
    where: PageFilter | None = None,
    *,
    iso: bool = False,
    images: bool = False,
    omit: Sequence[str] = (),
    upto: bool = False,
) -> tuple[str, tuple[Any, ...]]:
    """A keyset page: ``id > <cursor> [AND filters] ORDER BY id LIMIT n`` (an index range scan at any
    depth). The cursor is the statement's first parameter; the filter's parameters follow it.
    ``upto``: ``AND id <= <horizon>``, the statement's last parameter (``shotlog.eventlog.read``)."""
    p = "?" if sqlite else "%s"
    conds, params = _where(sqlite, where) if where is not None else ([], [])
    if upto:
        conds.append(f"e.id <= {p}")
    sql = (
        f"SELECT {select_list(sqlite, iso=iso, images=images, omit=omit)} FROM event_log_entries e"
        f" WHERE e.id > {p}" + "".join(f" AND {c}" for c in conds) + f" ORDER BY e.id LIMIT {int(limit)}"
    )
    return sql, tuple(params)


def ids_sql(sqlite: bool, count: int, *, omit: Sequence[str] = ()) -> str:
    """The rows with ``count`` given ids (the statement's parameters), in id order."""
    marks = ", ".join(["?" if sqlite else "%s"] * count)
    columns = select_list(sqlite, omit=omit)
    return f"SELECT {columns} FROM event_log_entries e WHERE e.id IN ({marks}) ORDER BY e.id"


# -- event-type patterns ------------------------------------------------------------------------------

_GLOB = re.compile(r"[*?\[]")


def is_glob(pattern: str) -> bool:
    return bool(_GLOB.search(pattern))


def glob_prefix(pattern: str) -> str | None:
    """``"Shotgun_Shot_"`` for ``"Shotgun_Shot_*"``: the literal prefix when ``*`` at the end is the only
    wildcard (what a ``starts_with`` filter or an index range can serve), else None."""
    if pattern.endswith("*") and not is_glob(pattern[:-1]):
        return pattern[:-1]
    return None


def glob_to_regex(pattern: str) -> str:
    """A shell pattern as an anchored POSIX regular expression (PostgreSQL's ``~``)."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(r"\[")
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return "".join(out)


# -- the event as consumers see it ----------------------------------------------------------------


def link_refs(rows: Iterable[Sequence[Any]]) -> set[tuple[str, int]]:
    """The (type, id) of every entity, project and user the rows link to (whose names ``shape`` needs)."""
    refs: set[tuple[str, int]] = set()
    for r in rows:
        if r[ENTITY_TYPE] is not None and r[ENTITY_ID] is not None:
            refs.add((r[ENTITY_TYPE], r[ENTITY_ID]))
        if r[PROJECT_TYPE] is not None and r[PROJECT_ID] is not None:
            refs.add((r[PROJECT_TYPE], r[PROJECT_ID]))
        if r[USER_TYPE] is not None and r[USER_ID] is not None:
            refs.add((r[USER_TYPE], r[USER_ID]))
    return refs


def _naive_seconds(stored: Any) -> dt.datetime:
    naive: dt.datetime = dt.datetime.fromisoformat(stored[:19]) if isinstance(stored, str) else stored
    return naive


def shape(
    rows: Sequence[Sequence[Any]],
    names: Mapping[tuple[str, int], Any],
    *,
    description: bool = True,
    meta: Callable[[str], Any] = orjson.loads,
    when: Callable[[dt.datetime], Any] | None = None,
) -> list[dict[str, Any]]:
    """Driver rows (``select_list``: meta as JSON text) as events the way ``find`` returns them.

    ``names`` maps the rows' ``link_refs`` that exist and are not retired to their display names (a
    link missing from it reads as None, as ``find`` reads a retired subject). ``description`` keeps
    that field (shotgunEvents' fields leave it out). ``meta`` decodes the JSON text; ``when`` turns
    a naive UTC datetime in whole seconds into what the consumer shows (default: aware UTC), once
    per distinct value of a page (events of one page often share their second).
    """
    links = {key: {"type": key[0], "id": key[1], "name": name} for key, name in names.items()}
    get = links.get
    convert = when or _aware_utc
    times: dict[Any, Any] = {}
    out: list[dict[str, Any]] = []
    append = out.append
    for eid, etype, desc, ent_t, ent_i, proj_t, proj_i, user_t, user_i, attr, text, session, created in rows:
        stamp = times.get(created)
        if stamp is None:
            stamp = times[created] = convert(_naive_seconds(created).replace(microsecond=0))
        event = {
            "type": "EventLogEntry",
            "id": eid,
            "event_type": etype,
            "attribute_name": attr,
            "meta": None if text is None else meta(text),
            "entity": get((ent_t, ent_i)),
            "user": get((user_t, user_i)),
            "project": get((proj_t, proj_i)),
            "session_uuid": session,
            "created_at": stamp,
        }
        if description:
            event["description"] = desc
        append(event)
    return out


def _aware_utc(naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=dt.UTC)
