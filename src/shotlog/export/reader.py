"""Reading a local export's pages with plain driver SQL: the one loop every local export runs.

Lean on purpose. This module imports the standard library, the event log's row
(``shotlog.eventlog.rows``, whose driver SQL ``StoreSource`` plans with) and the export's column
layout only, so a parallel export's worker process (``shotlog.export.worker``) runs it without
importing the store (SQLAlchemy, Alembic, the schema: about 40 MiB of every process). What needs
the store is prepared by ``StoreSource`` in the calling process and handed over as plain data: the page
statement (``PagePlan``) and the statements that read display names (``NameSql``).

Pages are read by id (keyset: ``id > cursor ORDER BY id LIMIT n``), each page and the names it
links to in one read transaction, by a background thread one page ahead of the formatting
(``prefetched``). Display names go through ``NameCache``, bounded so that a 10M-event log, whose
events link to some 200,000 entities, keeps flat memory.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import Any, TypeVar

from shotlog.eventlog.rows import (
    ATTRIBUTE_NAME,
    COLUMNS,
    CREATED_AT,
    DESCRIPTION,
    ENTITY_ID,
    ENTITY_TYPE,
    EVENT_TYPE,
    ID,
    IMAGE_COLUMNS,
    META,
    PROJECT_ID,
    SESSION_UUID,
    USER_ID,
    USER_TYPE,
)

__all__ = ["NameCache", "NameSql", "PagePlan", "Row", "prefetched", "read_pages"]

Row = tuple[Any, ...]
T = TypeVar("T")

#: a page's raw rows -> the values of each deep field (``entity.Shot.code``) for them
DeepValues = Callable[[Sequence[Sequence[Any]]], list[dict[int, Any]]]
#: opens a read transaction and yields its DB-API connection (sqlite3 or psycopg)
Transaction = Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class PagePlan:
    """One export's page statement as driver SQL; the cursor (the last id read) is its first parameter."""

    sql: str
    params: tuple[Any, ...]
    #: the cursor before the first page (the lowest id wanted, minus one)
    start: int
    #: which link names the columns read (lookups nobody asked for are skipped)
    entity_names: bool
    project_names: bool
    user_names: bool
    #: whether the statement also reads the image and display-name columns
    images: bool


@dataclass
class NameSql:
    """How to read display names: one ``SELECT '<type>', id, <name as text>`` per entity type.

    Each statement takes one parameter, the ids as text: a JSON array on SQLite (``json_each``, so
    no ``IN`` list of varying length), an array literal on PostgreSQL (``= ANY``). A page's lookups are the
    statements of its types joined with ``UNION ALL``: one round trip. ``more`` is asked about a
    type not in ``statements`` (an entity type created while the export runs); None in workers.
    """

    sqlite: bool
    statements: dict[str, str | None]
    more: Callable[[str], str | None] | None = field(default=None, compare=False)

    def statement(self, entity_type: str) -> str | None:
        if entity_type not in self.statements and self.more is not None:
            self.statements[entity_type] = self.more(entity_type)
        return self.statements.get(entity_type)

    def __getstate__(self) -> dict[str, Any]:
        # ``more`` reads the store: a worker process has none, it gets the statements known now.
        return {"sqlite": self.sqlite, "statements": dict(self.statements), "more": None}


class NameCache:
    """Display names by (type, id), at most about ``size`` of them, least recently used dropped first.

    Two generations instead of a strict LRU: names go into the young dict; a name found in the old
    one is copied to the young one; when the young one holds ``size / 2`` names it becomes the old
    one and the former old one is dropped. Each page costs a few set operations in C, not a
    Python-level move per lookup, and the cache never holds much more than ``size`` names.

    Why bounded: on the benchmark's 10M-event log a page of 2,000 events links to about 1,800
    distinct entities, 200,000 over the whole log. Every name kept costs about 240 bytes: an
    unbounded cache would grow to about 45 MiB in each process of an export (see
    ``shotlog.export.sources.NAME_CACHE`` for the size chosen).
    """

    def __init__(self, size: int) -> None:
        self.half = max(1, size // 2)
        self.young: dict[tuple[str, int], str | None] = {}
        self.old: dict[tuple[str, int], str | None] = {}

    def names(
        self, refs: set[tuple[str, int]], lookup: Callable[[set[tuple[str, int]]], Mapping[Any, Any]]
    ) -> dict[tuple[str, int], str | None]:
        """The names of ``refs`` (None: no such entity), asking ``lookup`` for the ones not known.

        Types must be text (``read_pages`` leaves other refs out: they have no name).
        """
        young, old = self.young, self.old
        # set.difference(dict) looks each ref up in the dict: the cost of the page's refs. The
        # operators (refs - young.keys()) would walk the whole cache instead.
        missing = refs.difference(young)
        if missing:
            unknown = missing.difference(old)
            # Keys are stored with one shared type string: the driver makes a new one per row.
            intern = sys.intern
            for t, i in missing - unknown:
                young[(intern(t), i)] = old[(t, i)]
            missing = unknown
        if missing:
            found = lookup(missing)
            intern = sys.intern
            for t, i in missing:
                young[(intern(t), i)] = found.get((t, i))
        page = {ref: young[ref] for ref in refs}
        if len(young) >= self.half:
            self.old, self.young = young, {}
        return page


def _lookup_names(cursor: Any, names: NameSql, refs: set[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    by_type: dict[str, list[int]] = {}
    for t, i in refs:
        by_type.setdefault(t, []).append(i)
    parts: list[str] = []
    params: list[Any] = []
    for t in sorted(t for t in by_type if isinstance(t, str)):
        stmt = names.statement(t)
        if stmt is None:  # not an entity type (any more): no name, as for a missing entity
            continue
        # The ids as one array literal, JSON on SQLite, PostgreSQL's {1,2,3} otherwise: joining
        # them here costs half of what the driver's adaptation of a list of ints does.
        ids = ",".join(map(str, sorted(by_type[t])))
        parts.append(stmt)
        params.append(f"[{ids}]" if names.sqlite else f"{{{ids}}}")
    if not parts:
        return {}
    cursor.execute(" UNION ALL ".join(parts), params)
    return {(t, i): name for t, i, name in cursor.fetchall()}


def read_pages(
    plan: PagePlan,
    names: NameSql,
    cache: NameCache,
    transaction: Transaction,
    deep: DeepValues | None = None,
    *,
    depth: int = 1,
) -> Iterator[list[Row]]:
    """The events of ``plan`` in id order, a page at a time, as rows of the export layout."""

    def fetch() -> Iterator[tuple[list[Any], dict[tuple[str, int], Any], list[dict[int, Any]]]]:
        cursor = plan.start
        while True:
            with transaction() as conn:
                cur = conn.cursor()
                cur.execute(plan.sql, [cursor, *plan.params])
                raw = cur.fetchall()
                if not raw:
                    return
                refs: set[tuple[str, int]] = set()
                # The page's distinct links (set comprehensions run in C-speed loops).
                if plan.entity_names:
                    refs |= {(r[ENTITY_TYPE], r[ENTITY_ID]) for r in raw}
                if plan.project_names:
                    refs |= {("Project", r[PROJECT_ID]) for r in raw}
                if plan.user_names:
                    refs |= {(r[USER_TYPE], r[USER_ID]) for r in raw}
                # Null links have no name; nor do links whose type is not text (broken rows).
                refs = {ref for ref in refs if ref[1] is not None and ref[0].__class__ is str}
                page_names = cache.names(refs, functools.partial(_lookup_names, cur, names))
            yield raw, page_names, (deep(raw) if deep is not None else [])
            cursor = raw[-1][0]

    for raw, page_names, deep_values in prefetched(fetch(), depth):
        rows = _rows(raw, page_names, plan, deep_values)
        del raw, page_names, deep_values  # not held while the next page is read
        yield rows
        del rows


def _rows(
    raw: Sequence[Sequence[Any]],
    names: Mapping[tuple[str, int], str | None],
    plan: PagePlan,
    deep: list[dict[int, Any]],
) -> list[Row]:
    get = names.get
    entity, project, user = plan.entity_names, plan.project_names, plan.user_names
    out: list[Row] = []
    append = out.append
    if not plan.images and not deep:
        # The common case (default columns), unpacked instead of indexed: about a third faster.
        # A lookup of an unwanted or null link finds nothing: (type, None) is never a key.
        for i, t, d, et, ei, _pt, pi, ut, ui, an, m, su, ca in raw:
            append(
                (
                    i, t, d, et, ei, get((et, ei)) if entity else None, pi,
                    get(("Project", pi)) if project else None, ut, ui, get((ut, ui)) if user else None,
                    an, m, su, ca, None, None, None, None, None, None,
                )
            )  # fmt: skip
        return out
    for r in raw:
        ename = get((r[ENTITY_TYPE], r[ENTITY_ID])) if entity else None
        pname = get(("Project", r[PROJECT_ID])) if project else None
        uname = get((r[USER_TYPE], r[USER_ID])) if user else None
        row: Row = (
            r[ID],
            r[EVENT_TYPE],
            r[DESCRIPTION],
            r[ENTITY_TYPE],
            r[ENTITY_ID],
            ename,
            r[PROJECT_ID],
            pname,
            r[USER_TYPE],
            r[USER_ID],
            uname,
            r[ATTRIBUTE_NAME],
            r[META],
            r[SESSION_UUID],
            r[CREATED_AT],
        )
        row += tuple(r[len(COLUMNS) : len(COLUMNS) + len(IMAGE_COLUMNS)]) if plan.images else (None,) * 6
        if deep:
            row += tuple(deep_cell(d, r) for d in deep)
        append(row)
    return out


def deep_cell(values: dict[int, Any], r: Sequence[Any]) -> Any:
    """A deep field's value for raw row ``r``; ``values[-1]`` says where the row's link is."""
    type_pos, id_pos, entity_type = values[-1]
    ident = r[id_pos]
    if ident is None or (type_pos is not None and r[type_pos] != entity_type):
        return None
    return values.get(ident)


def prefetched(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``pages``, produced by a background thread up to ``depth`` ahead of the consumer.

    Reading the next page (the database's work, and the driver's, which releases the GIL while it
    waits) then overlaps formatting the current one. Memory stays bounded by ``depth`` pages, plus
    the one being read and the one being formatted. Errors of the producer are raised in the
    consumer; closing the consumer stops the producer.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put(("error", exc))

    thread = threading.Thread(target=produce, name="shotlog-export-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
            value = None  # not held while the next page is read
    finally:
        stop.set()
        thread.join()
