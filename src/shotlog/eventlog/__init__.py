"""The event log: building EventLogEntry rows for changes, appending them in order, reading them.

``log`` appends; ``read`` (and, for the lean driver paths, ``rows``) is the one way to read
``event_log_entries``; ``floor`` says where the live log starts. This package module stays free of
imports: a parallel export's lean worker process loads ``rows`` through it.
"""

from __future__ import annotations

__all__ = ["EVENT_FIELDS", "IMAGE_FIELDS", "SHOTGUNEVENTS_FIELDS"]

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
#: Every field of an event as consumers read it through the API (``iter_events``, the terminal, the
#: web UI, an export through api3): shotgunEvents' fields and the description.
EVENT_FIELDS: tuple[str, ...] = (*SHOTGUNEVENTS_FIELDS, "description")
#: The rarely read image and display-name fields of an event.
IMAGE_FIELDS: tuple[str, ...] = (
    "cached_display_name",
    "image",
    "filmstrip_image",
    "image_source_entity",
    "image_blur_hash",
)
