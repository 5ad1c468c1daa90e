"""Keyset continuation for api3 reads paged by ``current_page`` in id order.

The client pages a large ``find`` as page 1, 2, 3, ... of the same query. Answered literally, page
N is ``OFFSET (N-1) * 500``: the database walks past every earlier row again, so paging 100,000
rows reads 10 million index entries. For a read ordered by id alone, the server remembers the last
id of each page it served, and page N+1 of the same query becomes ``id > last`` with no offset: one
index range per page, whatever the depth.

The answer equals the OFFSET answer whenever no row before the cursor was added or removed between
the two requests. New rows get higher ids, so for the event log (and new entities) that holds; when
an earlier row is deleted or revived in between, OFFSET would repeat or skip a row at the page
boundary, and the continuation does neither. A missing or expired entry falls back to OFFSET.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["PageCursors", "id_order"]

#: how long a page's last id is remembered (a client pages on within seconds)
TTL_SECONDS = 300.0
#: remembered pages at most (least recently used dropped first)
CAPACITY = 4096


def id_order(sorts: Any) -> str | None:
    """ "asc" or "desc" when ``sorts`` orders by id alone (no sorts means id ascending), else None."""
    if not sorts:
        return "asc"
    if not isinstance(sorts, list | tuple) or len(sorts) != 1 or not isinstance(sorts[0], Mapping):
        return None
    s = sorts[0]
    if s.get("field_name", s.get("column")) != "id":
        return None
    direction = str(s.get("direction", "asc")).lower()
    return direction if direction in ("asc", "desc") else None


class PageCursors:
    """Last ids of served pages, keyed by who asked, the query and the page number."""

    def __init__(self, capacity: int = CAPACITY, ttl: float = TTL_SECONDS) -> None:
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, int]] = OrderedDict()
        self._capacity = capacity
        self._ttl = ttl
        self._lock = threading.Lock()

    @staticmethod
    def key(principal: tuple[str, int], query: Mapping[str, Any], page: int) -> tuple[Any, ...] | None:
        """The cache key of ``page`` of ``query`` (None when the query cannot be keyed)."""
        try:
            text = orjson.dumps(query, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        except (TypeError, orjson.JSONEncodeError):
            return None
        return (principal, text, page)

    def get(self, key: tuple[Any, ...]) -> int | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            stored_at, last_id = hit
            if time.monotonic() - stored_at > self._ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return last_id

    def put(self, key: tuple[Any, ...], last_id: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), last_id)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


def after(filters: Mapping[str, Any], direction: str, last_id: int) -> dict[str, Any]:
    """``filters`` (wire form) narrowed to the rows after ``last_id`` in ``direction``."""
    cond = {
        "path": "id",
        "relation": "greater_than" if direction == "asc" else "less_than",
        "values": [last_id],
    }
    if str(filters.get("logical_operator", "and")).lower() == "and":
        return {**filters, "conditions": [*(filters.get("conditions") or []), cond]}
    return {"logical_operator": "and", "conditions": [dict(filters), cond]}
