"""``manifest.json`` at the root of the archive: the archive describes itself without the database.

The database's ``archive_segments`` table is the source of truth; the manifest is rewritten from
it at the end of every run, so an archive copied elsewhere (or read after the database is gone)
still says which object holds which ids and months, how many events, and their checksums.
"""

from __future__ import annotations

from typing import Any

import orjson

from shotlog.archive.storage import ObjectStore
from shotlog.connection import Shotlog

__all__ = ["MANIFEST_KEY", "manifest", "write_manifest"]

MANIFEST_KEY = "manifest.json"


def manifest(store: Shotlog) -> dict[str, Any]:
    from shotlog.archive.segments import list_segments
    from shotlog.eventlog.floor import archived_through

    segments = list_segments(store.db)
    return {
        "format": "shotlog-event-archive/1",
        "archived_through": archived_through(store.db),
        "segment_format": "gzip'd JSON Lines, one EventLogEntry per line "
        "(the shape of `shotlog events export -f jsonl -c all`)",
        "segments": [{k: v for k, v in s.as_dict().items() if k not in ("id", "state")} for s in segments],
    }


def write_manifest(store: Shotlog, storage: ObjectStore) -> None:
    storage.put_bytes(MANIFEST_KEY, orjson.dumps(manifest(store), option=orjson.OPT_INDENT_2))
