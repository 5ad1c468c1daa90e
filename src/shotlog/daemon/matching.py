"""``matchEvents``: checking a value at registration and matching an event, exactly as shotgunEvents.

Pure functions. The decision procedure (event-daemon.md §5):

1. a falsy filter (``None``, ``{}``) matches every event;
2. a ``'*'`` key wins and every other key is ignored; otherwise the event type must be a key;
3. attributes ``None`` or containing ``'*'`` match;
4. otherwise the event's ``attribute_name`` must be truthy and ``in`` the attributes.

A ``str`` value keeps upstream's substring test (``'sg_status_list'`` also matches ``status``): real
plugins pass bare strings, and changing that would change which events they see.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["MatchEventsError", "check_match_events", "matches"]


class MatchEventsError(TypeError):
    """A ``matchEvents`` value of the wrong shape (raised at registration)."""


def check_match_events(value: object) -> dict[str, Any] | None:
    """The filter if it is well formed; ``MatchEventsError`` naming the bad part otherwise."""
    if not value:
        if value is None or isinstance(value, Mapping):
            return None
        raise MatchEventsError(f"matchEvents must be a dict or None, got {value!r}")
    if not isinstance(value, Mapping):
        raise MatchEventsError(f"matchEvents must be a dict of event type -> attribute names, got {value!r}")
    out: dict[str, Any] = {}
    for key, attrs in value.items():
        if not isinstance(key, str):
            raise MatchEventsError(f"matchEvents key {key!r} is not an event type name (a string)")
        if attrs is None or isinstance(attrs, str):
            out[key] = attrs
        elif isinstance(attrs, list | tuple | set | frozenset):
            bad = [a for a in attrs if not isinstance(a, str)]
            if bad:
                raise MatchEventsError(
                    f"matchEvents[{key!r}] holds {bad[0]!r}, which is not an attribute name"
                )
            out[key] = attrs
        else:
            raise MatchEventsError(
                f"matchEvents[{key!r}] = {attrs!r}: expected None, a string or a list of attribute names"
            )
    return out


def matches(match_events: Mapping[str, Any] | None, event: Mapping[str, Any]) -> bool:
    """Whether a callback registered with ``match_events`` runs for ``event``."""
    if not match_events:
        return True
    if "*" in match_events:
        attrs = match_events["*"]
    else:
        event_type = event.get("event_type")
        if not isinstance(event_type, str) or event_type not in match_events:
            return False
        attrs = match_events[event_type]
    if attrs is None or "*" in attrs:
        return True
    attribute = event.get("attribute_name")
    return bool(attribute) and _contains(attrs, attribute)


def _contains(attrs: str | Collection[str], attribute: Any) -> bool:
    # A str is searched as a substring, as upstream's ``in`` does on a string.
    return isinstance(attribute, str) and attribute in attrs
