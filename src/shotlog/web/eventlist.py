"""Reading the event log for the web UI: pages by keyset, live tails, one event, filter choices.

Everything goes through the public Python API (``Shotlog.find``), so the UI sees exactly what api3
clients see; the one direct read (date bounds as ids) is the event log's (``eventlog.read``). Speed
on a 10-million-event log comes from the shape of the queries, not from a cache:

* in id order (the default) pages are keyset pages: ``id < cursor ORDER BY id DESC LIMIT n+1``,
  an index range scan whatever the depth, and the extra row says whether a next page exists;
* other orders use offsets (bounded by ``MAX_OFFSET``) and sort at most ``COUNT_CAP`` matching rows,
  or else the matches among the newest ``SCAN_WINDOW`` events;
* counts are ``tally``'s: exact where an index range scan of at most ``EXACT_SPAN`` ids answers,
  else an estimate (an unfiltered log: the width of its id range; a filtered one: the first
  ``COUNT_CAP`` matches from the top, extrapolated over the range), shown as "about";
* a filter no index serves (text in the description, the attribute, an event-type pattern) would
  read the whole log when it matches little, so such a page reads at most ``SCAN_WINDOW`` ids past
  its cursor and offers to search on from there ("searched events #a to #b").

Rows meant for a list carry their description and meta summary clipped (``list_cells``: the
``list_description``/``list_meta`` keys and their ``*_clipped`` flags), so one long value cannot make
a page of 50 events megabytes long; the event's own page (``get_event``) has everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from shotlog import eventlog
from shotlog.connection import Shotlog
from shotlog.errors import FilterError, ShotlogError
from shotlog.eventlog import read
from shotlog.files.links import FileLinks
from shotlog.values import Thumbnail
from shotlog.web.filters import EventQuery
from shotlog.web.meta import list_cells
from shotlog.web.orientation import Tally

__all__ = [
    "COUNT_CAP",
    "EVENT_FIELDS",
    "EXACT_SPAN",
    "Choices",
    "EventPage",
    "add_thumbnails",
    "choices",
    "event_page",
    "event_thumbnail",
    "for_list",
    "get_event",
    "live_events",
    "scan_bounded",
    "subject",
    "tally",
]

#: what a list line and the event's page show: every field of an event, and its thumbnail
EVENT_FIELDS = [*eventlog.EVENT_FIELDS, "image"]
COUNT_CAP = 1000
MAX_OFFSET = 100_000
#: ids one page reads at most when a filter has no index (description text, attribute, patterns)
SCAN_WINDOW = 100_000
LIVE_LIMIT = 200
#: an id range this wide or narrower is counted exactly (an index range scan); wider is estimated
EXACT_SPAN = 100_000


@dataclass
class EventPage:
    rows: list[dict[str, Any]]
    has_next: bool = False
    has_prev: bool = False
    next_cursor: int | None = None  # id to pass as ``after`` (keyset) for the next page
    prev_cursor: int | None = None  # id to pass as ``before`` for the previous page
    count: int | None = None  # matching rows, capped at COUNT_CAP + 1
    head: int = 0  # newest event id in the log
    error: str = ""  # a filter the store refused (shown above the table)
    window: tuple[int, int] | None = None  # the ids a scan-bounded page read (first, last)
    total: Tally | None = None  # matching events; None when counting would read too much
    before: Tally | None = None  # matching events ahead of this page's first row, in its order


def subject(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event's entity, or for a retired one the link its meta still names (marked retired)."""
    if event.get("entity"):
        return dict(event["entity"])
    meta = event.get("meta")
    event_type = str(event.get("event_type") or "")
    if not isinstance(meta, dict) or "actual_attribute_changed" in meta:
        return None
    etype, eid = meta.get("entity_type"), meta.get("entity_id")
    if isinstance(etype, str) and isinstance(eid, int) and event_type.startswith(f"Shotgun_{etype}_"):
        name = meta.get("display_name") or f"{etype} #{eid}"
        return {"type": etype, "id": eid, "name": name, "retired": True}
    return None


def scan_bounded(q: EventQuery) -> bool:
    """Whether the query has a filter no index serves (description text, attribute, an event-type
    pattern), so a page must bound how much of the log it reads. An entity filter is selective
    enough by itself."""
    unindexed = q.text or q.attribute or q.old_value or q.new_value or "*" in q.event_type
    return bool(unindexed) and q.entity_id is None


def event_page(store: Shotlog, q: EventQuery, *, window: int = SCAN_WINDOW) -> EventPage:
    """The page ``q`` asks for; ``window`` bounds the ids a scan-bounded page reads."""
    head = store.head_event_id()
    bounds = date_id_bounds(store, q.date_from, q.date_to)
    filters = q.filters() + bounds
    span = _span(q, bounds, head)
    bounded = scan_bounded(q)
    try:
        # an unindexed filter is counted only when the whole log fits in one window
        total = tally(store, q.filters(), *span) if not bounded or head <= window else None
        count = min(total.n, COUNT_CAP + 1) if total is not None and filters else None
        if q.by_id:
            page = _keyset_page(store, q, filters, head, window if bounded else None)
            if total is not None:
                page.before = _ahead(store, q, page.rows, span)
        else:
            # Another order sorts every matching row: fine for a few, not for millions (and no
            # index serves NULLS FIRST/LAST text orders on PostgreSQL), so a large or unindexed
            # match is sorted within the newest `window` events.
            small = count is not None and count <= COUNT_CAP
            page = _offset_page(store, q, filters, head, None if small else window)
            if page.window is None:
                page.before = Tally((q.page - 1) * q.size)
        page.count = count
        page.total = total if page.window is None else None
    except FilterError as exc:
        return EventPage([], head=head, error=str(exc))
    page.head = head
    page.rows = for_list(page.rows)
    return page


def _span(q: EventQuery, bounds: list[Any], head: int) -> tuple[int, int]:
    """The ids a query's matches lie within: its id and date bounds inside ``1..head``."""
    first, last = max(1, q.id_from or 1), min(head, q.id_to if q.id_to is not None else head)
    for _, relation, value in bounds:
        if relation == "greater_than":
            first = max(first, value + 1)
        else:
            last = min(last, value - 1)
    return first, last


def _ahead(store: Shotlog, q: EventQuery, rows: list[dict[str, Any]], span: tuple[int, int]) -> Tally:
    """How many matches come ahead of a keyset page's first row (its cursor's, if it is empty)."""
    if q.after is None and q.before is None:
        return Tally(0)
    if rows:
        edge = rows[0]["id"] + (1 if q.descending else -1)
    else:
        cursor = q.after if q.after is not None else q.before
        assert cursor is not None
        edge = cursor
    first, last = span
    return tally(store, q.filters(), edge, last) if q.descending else tally(store, q.filters(), first, edge)


def tally(
    store: Shotlog,
    filters: list[Any],
    first: int,
    last: int,
    *,
    exact_span: int = EXACT_SPAN,
    cap: int = COUNT_CAP,
) -> Tally:
    """How many events with ``first <= id <= last`` match ``filters``: exact when the range is at
    most ``exact_span`` ids wide, else estimated without reading it all."""
    if last < first:
        return Tally(0)
    width = last - first + 1
    if not filters:
        with store.db.read() as conn:
            if width <= exact_span:
                return Tally(read.count_between(conn, first, last))
            return Tally(read.estimate_between(conn, first, last), exact=False)
    within = filters + [["id", "greater_than", first - 1], ["id", "less_than", last + 1]]
    if width <= exact_span:
        found = store.summarize("EventLogEntry", within, [{"field": "id", "type": "count"}])
        return Tally(int(found["summaries"]["id"] or 0))
    # The newest cap + 1 matches: if that is all there is, exact; else they cover the ids from
    # `reached` up, and the same density over the whole range is the estimate.
    newest_first = [{"field_name": "id", "direction": "desc"}]
    rows = store.find("EventLogEntry", within, ["id"], order=newest_first, limit=cap + 1)
    if len(rows) <= cap:
        return Tally(len(rows))
    reached = rows[-1]["id"]
    return Tally(round(len(rows) * width / (last - reached + 1)), exact=False)


def for_list(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with what a list line shows of each: description and meta summary, clipped."""
    for row in rows:
        cells = list_cells(row.get("description"), row.get("meta"))
        row["list_description"], row["description_clipped"] = cells.description, cells.description_clipped
        row["list_meta"], row["meta_clipped"] = cells.meta, cells.meta_clipped
    return rows


def date_id_bounds(store: Shotlog, since: dt.datetime | None, until: dt.datetime | None) -> list[Any]:
    """Id filters that contain every event created in ``[since, until)``, from two index seeks
    (``eventlog.read.date_id_bounds``). The date filters stay, so the bounds only narrow the scan."""
    with store.db.read() as conn:
        after, before = read.date_id_bounds(conn, _stored(since), _stored(until))
    bounds: list[Any] = []
    if after is not None:
        bounds.append(["id", "greater_than", after])
    if before is not None:
        bounds.append(["id", "less_than", before])
    return bounds


def _stored(moment: dt.datetime | None) -> dt.datetime | None:
    """A datetime as the events table stores it: naive UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _keyset_page(
    store: Shotlog, q: EventQuery, filters: list[Any], head: int, window: int | None
) -> EventPage:
    """One page in id order, travelling forward (``after``) or back (``before``) from a cursor.

    With a ``window``, the page reads at most that many ids past its cursor; when they hold less
    than a page, the pager offers to go on from the window's edge.
    """
    desc = q.descending
    backwards = q.before is not None and q.after is None
    # ids are read from `start` (excluded) away from it: towards lower ids when `down`
    down = desc != backwards
    if backwards:
        start = q.before
    elif q.after is not None:
        start = q.after
    else:
        start = head + 1 if desc else 0
    assert start is not None
    bounds: list[Any] = [["id", "less_than" if down else "greater_than", start]]
    edge: int | None = None  # the last id the window may read, if the window stops short of the log's end
    if window is not None:
        edge = start - window if down else start + window
        if (down and edge > 1) or (not down and edge < head):
            bounds.append(["id", "greater_than" if down else "less_than", edge - 1 if down else edge + 1])
        else:
            edge = None
    rows = store.find(
        "EventLogEntry",
        filters + bounds,
        EVENT_FIELDS,
        order=[{"field_name": "id", "direction": "desc" if down else "asc"}],
        limit=q.size + 1,
    )
    more = len(rows) > q.size
    rows = rows[: q.size]
    if backwards:
        rows.reverse()
    page = EventPage(rows)
    # `beyond`: where reading away from the cursor goes on (after the last row read, or past a window
    # that stopped short); `back`: the cursor that shows the rows on the other side of `start` again
    beyond = (rows[0 if backwards else -1]["id"] if more else edge) if (more or edge is not None) else None
    back = start - 1 if down else start + 1
    if backwards:
        page.has_prev, page.prev_cursor = beyond is not None, beyond
        page.has_next, page.next_cursor = True, rows[-1]["id"] if rows else back
    else:
        page.has_next, page.next_cursor = beyond is not None, beyond
        page.has_prev = q.after is not None
        page.prev_cursor = (rows[0]["id"] if rows else back) if q.after is not None else None
    if edge is not None:
        lo, hi = (edge, start - 1) if down else (start + 1, edge)
        page.window = (max(lo, 1), min(hi, head))
    return page


def _offset_page(
    store: Shotlog, q: EventQuery, filters: list[Any], head: int, window: int | None
) -> EventPage:
    offset = (q.page - 1) * q.size
    if offset > MAX_OFFSET:
        raise FilterError(f"Pages beyond row {MAX_OFFSET:,} are not shown in this order; sort by id instead")
    covered = None
    if window is not None and head > window:
        filters = filters + [["id", "greater_than", head - window]]
        covered = (head - window + 1, head)
    rows, more, _ = store.find_page(
        "EventLogEntry", filters, EVENT_FIELDS, q.order(), limit=q.size, offset=offset
    )
    return EventPage(rows, has_next=more, has_prev=q.page > 1, window=covered)


def event_thumbnail(event: dict[str, Any]) -> str | Thumbnail | None:
    """What an event shows as its thumbnail: its own ``image`` (Toolkit and custom events set one),
    else for a change of an entity's ``image`` the image that change set (its meta names the
    Attachment); a URL shotlog did not make as it is; None for the rest."""
    own = event.get("image")
    if own:
        thumb = Thumbnail.parse(own)
        return thumb if thumb is not None else (own if str(own).startswith(("http://", "https://")) else None)
    meta = event.get("meta")
    if (
        not isinstance(meta, dict)
        or meta.get("field_data_type") != "image"
        or meta.get("attribute_name") != "image"
    ):
        return None
    new = meta.get("new_value")
    return Thumbnail(new) if isinstance(new, int) and not isinstance(new, bool) else None


def add_thumbnails(rows: list[dict[str, Any]], links: FileLinks | None) -> list[dict[str, Any]]:
    """Each row's ``thumbnail``: the URL of ``event_thumbnail``'s image (the placeholder while its
    own image is being made), or None."""
    for row in rows:
        found = event_thumbnail(row) if links is not None else None
        if isinstance(found, Thumbnail):
            row["thumbnail"] = links.image(found.stored()) if links is not None else None
        else:
            row["thumbnail"] = found
    return rows


def live_events(store: Shotlog, q: EventQuery, after: int) -> list[dict[str, Any]]:
    """Events newer than ``after`` that match the query's filters, newest first."""
    rows = store.find(
        "EventLogEntry",
        q.filters() + [["id", "greater_than", after]],
        EVENT_FIELDS,
        order=[{"field_name": "id", "direction": "asc"}],
        limit=LIVE_LIMIT,
    )
    rows.reverse()
    return for_list(rows)


def get_event(store: Shotlog, event_id: int) -> dict[str, Any] | None:
    fields = EVENT_FIELDS + ["cached_display_name", "filmstrip_image", "image_source_entity"]
    try:
        return store.find_one("EventLogEntry", [["id", "is", event_id]], fields)
    except ShotlogError:
        return None


@dataclass
class Choices:
    """The values offered by the filter form's menus."""

    entity_types: list[str] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)


_CHOICES_LIMIT = 500


def choices(store: Shotlog) -> Choices:
    """Entity types, projects and users for the filter menus (read fresh: a new project shows at once)."""
    name_order = [{"field_name": "name", "direction": "asc"}]
    made = Choices(
        entity_types=sorted(store.catalog.schema.types),
        projects=store.find("Project", [], ["name"], order=name_order, limit=_CHOICES_LIMIT),
        users=store.find("HumanUser", [], ["name", "login"], order=name_order, limit=_CHOICES_LIMIT)
        + store.find(
            "ApiUser",
            [],
            ["firstname"],
            order=[{"field_name": "firstname", "direction": "asc"}],
            limit=_CHOICES_LIMIT,
        ),
    )
    for user in made.users:
        if user["type"] == "ApiUser":
            user["name"] = user.get("firstname")
    return made
