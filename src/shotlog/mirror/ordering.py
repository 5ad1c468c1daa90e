"""Which accepted events the mirror may append now: a pure decision.

The site's ids can commit out of order (``shotlog.daemon.sources.gaps``), but shotlog's own log
promises readers that ids become visible in id order: a webhook or daemon reading ``id > cursor``
would never see an id appended below one it already passed. So an accepted event waits while an
id below it is still an open gap: it is appended once the gap fills (the late event first) or the
gap expires (after ``gap_timeout`` on the site's clock). Nothing below the appended head is ever
appended later, and the mirrored log keeps the site's ids exactly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

__all__ = ["release"]


def release(
    pending: Iterable[Mapping[str, Any]], holes: Collection[int]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """``(now, later)``: the pending events below every open gap, in id order, and the rest."""
    ordered = sorted(pending, key=lambda e: int(e["id"]))
    if not holes:
        return ordered, []
    lowest = min(holes)
    now = [e for e in ordered if int(e["id"]) < lowest]
    return now, ordered[len(now) :]
