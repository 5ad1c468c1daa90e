"""Which linked entities the mirror still has to name, and asking the site for their names.

A site's event names its links as the site shows them when it is read, but a link can come without
a name (an entity without a display value then, an archived event, a type a page did not name), and
a rename is only news to the links recorded before it. ``Names`` keeps what is wanted, per entity
type; the follower asks it between two pages (never while a page is being read, so the site's one
connection carries one request at a time, and never holding back an append): one ``find`` per due
moment, for one entity type's ids, ``["id", "in", [...]]``, at most ``rate`` a second. What the site
answers goes to ``mirror_links`` (``shotlog.store.mirrors``), where event reads name links from.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from shotlog.mirror.site import Site, SiteUnreachable

__all__ = ["Names", "renamed"]

log = logging.getLogger("shotlog.mirror")

#: ids asked for in one find (FPTR's page)
_BATCH = 500
_CHANGE = re.compile(r"^Shotgun_(\w+)_Change$")


def renamed(event: Mapping[str, Any], display_field: Callable[[str], str | None]) -> tuple[str, int] | None:
    """The entity whose display name this event changed (``Shotgun_<Type>_Change`` on the type's
    display field: ``code``, ``name``, ``content``, ``title``...) and whose link in the event does not
    already show the new name (read later, after another rename); None for any other event."""
    match = _CHANGE.match(str(event.get("event_type") or ""))
    if match is None:
        return None
    etype = match.group(1)
    field = display_field(etype)
    if field is None or event.get("attribute_name") != field:
        return None
    entity, meta = event.get("entity"), event.get("meta")
    if (
        isinstance(entity, Mapping)
        and isinstance(meta, Mapping)
        and entity.get("name") is not None
        and entity.get("name") == meta.get("new_value")
    ):
        return None  # the event's link already names it as changed (a live rename, a creation)
    if isinstance(entity, Mapping) and entity.get("type") == etype and isinstance(entity.get("id"), int):
        return etype, int(entity["id"])
    if (
        isinstance(meta, Mapping)
        and meta.get("entity_type") == etype
        and isinstance(meta.get("entity_id"), int)
    ):
        return etype, int(meta["entity_id"])
    return None


class Names:
    """The links to name, and when the next find may go (``rate`` finds a second; 0: never)."""

    def __init__(self, rate: float, display_field: Callable[[str], str | None]) -> None:
        self.rate = rate
        self.display_field = display_field
        self.wanted: dict[str, set[int]] = {}
        #: asked once and not named by the site (no entity, or no display value): not asked again
        #: by this process, so one missing entity costs one request, not one a second
        self.asked: set[tuple[str, int]] = set()
        self._next = 0.0

    def want(self, refs: Iterable[tuple[str, int]], *, again: bool = False) -> None:
        """Name these links; ``again``: even if asked before (the site said the name changed)."""
        if self.rate <= 0:
            return
        for t, i in refs:
            if self.display_field(t) is None:  # a type this schema lacks: no field to ask for
                continue
            if again:
                self.asked.discard((t, i))
            elif (t, i) in self.asked:
                continue
            self.wanted.setdefault(t, set()).add(i)

    def due(self, now: float) -> bool:
        return self.rate > 0 and bool(self.wanted) and now >= self._next

    def fetch(self, site: Site) -> dict[tuple[str, int], str]:
        """One find for the type waiting longest: the names the site gave (absent: none)."""
        etype = next(iter(self.wanted))
        ids = sorted(self.wanted[etype])[:_BATCH]
        field = self.display_field(etype)
        assert field is not None
        self._next = time.monotonic() + 1.0 / self.rate
        try:
            found = site.names(etype, ids, field)
        except SiteUnreachable as exc:  # the events' loop reports the site; the ids stay wanted
            log.warning("names of %s not read this time: %s", etype, exc)
            return {}
        rest = self.wanted.pop(etype).difference(ids)
        if rest:
            self.wanted[etype] = rest
        self.asked.update((etype, i) for i in ids)
        return {(etype, i): name for i, name in found.items() if name is not None}
