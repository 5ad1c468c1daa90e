"""The event log: building EventLogEntry rows for changes, appending them in order, reading them."""

from __future__ import annotations

__all__ = ["SHOTGUNEVENTS_FIELDS"]

#: The EventLogEntry fields shotgunEvents asks for on every poll (its client adds "type"). Pollers,
#: benchmarks and tests that mimic it read exactly these, so they live here once.
SHOTGUNEVENTS_FIELDS: tuple[str, ...] = (
    "id",
    "event_type",
    "attribute_name",
    "meta",
    "entity",
    "user",
    "project",
    "session_uuid",
    "created_at",
)
