"""A mirror's rows: its state (``mirror_state``) and the names its events link to (``mirror_links``).

A database that mirrors an FPTR site (``shotlog mirror run``) has one ``mirror_state`` row. Its
presence is what makes the database a mirror: entity writes from clients are refused
(``shotlog.connection``), links are named from ``mirror_links``, since the mirror keeps the
site's events but none of its entities, and shotlog's own events go to ``mirror_local_events``
(``shotlog.store.local_events``), since the log's ids are the site's. Plain statements on a
connection; the mirror's follower decides what to write, in the transaction that appends the events.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.errors import PermissionDenied, ShotlogError
from shotlog.store import driver
from shotlog.store.database import Database
from shotlog.store.tables import mirror_links as ml
from shotlog.store.tables import mirror_state as ms

__all__ = [
    "MIRRORED_TTL",
    "MirrorState",
    "MirroredDatabase",
    "forget_links",
    "link_names",
    "mirrored_site",
    "read_state",
    "record_error",
    "record_links",
    "refuse_if_mirrored",
    "save_progress",
    "start_state",
    "unnamed_links",
]

_ROW = 1  # one mirror per database: the state is a single row
#: how long a process trusts what it read of "is this database a mirror" (a mirror started on a
#: database a server is serving is seen by the server within this time; a new mirror appends
#: nothing before it has passed, ``shotlog.mirror.follower``)
MIRRORED_TTL = 5.0


@dataclass(frozen=True)
class MirrorState:
    site: str
    cursor: int
    holes: dict[str, str]
    counts: dict[str, int]
    site_head_id: int | None
    site_head_at: dt.datetime | None
    mirrored_at: dt.datetime | None
    polled_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    started_at: dt.datetime


def read_state(conn: Connection) -> MirrorState | None:
    row = conn.execute(sa.select(ms).where(ms.c.id == _ROW)).first()
    if row is None:
        return None
    return MirrorState(
        site=row.site,
        cursor=int(row.cursor),
        holes=dict(row.holes or {}),
        counts={k: int(v) for k, v in (row.counts or {}).items()},
        site_head_id=row.site_head_id,
        site_head_at=row.site_head_at,
        mirrored_at=row.mirrored_at,
        polled_at=row.polled_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        started_at=row.started_at,
    )


def start_state(conn: Connection, site: str, cursor: int, now: dt.datetime) -> None:
    conn.execute(sa.insert(ms).values(id=_ROW, site=site, cursor=cursor, holes={}, counts={}, started_at=now))
    _cache.clear()


def save_progress(
    conn: Connection,
    *,
    cursor: int,
    holes: Mapping[str, str],
    counts: Mapping[str, int],
    site_head: tuple[int, dt.datetime | None] | None,
    now: dt.datetime,
    mirrored: bool,
) -> None:
    """The cursor and what status shows, in the transaction that appended the events up to it."""
    values: dict[str, Any] = {
        "cursor": cursor,
        "holes": dict(holes),
        "counts": dict(counts),
        "polled_at": now,
        "last_error": None,
    }
    if site_head is not None:
        values["site_head_id"], values["site_head_at"] = site_head
    if mirrored:
        values["mirrored_at"] = now
    conn.execute(sa.update(ms).where(ms.c.id == _ROW).values(**values))


def record_error(conn: Connection, message: str, now: dt.datetime) -> None:
    conn.execute(sa.update(ms).where(ms.c.id == _ROW).values(last_error=message[:2000], last_error_at=now))


# -- is this database a mirror ----------------------------------------------------------------------

_cache: dict[str, tuple[float, str | None]] = {}
_cache_lock = threading.Lock()


def mirrored_site(db: Database) -> str | None:
    """The site this database mirrors, None for a database of its own (read at most every few
    seconds per process: every client write and every page of events asks).

    Read on a connection of its own, never the caller's: a database of an older schema (opened
    without migrating) has no ``mirror_state``, and the failed read must not abort the caller's
    transaction; such a database mirrors nothing."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(db.url)
    if hit is not None and now - hit[0] < MIRRORED_TTL:
        return hit[1]
    try:
        with db.read() as conn:
            site = conn.execute(sa.select(ms.c.site).where(ms.c.id == _ROW)).scalar()
    except (ShotlogError, sa.exc.SQLAlchemyError):
        site = None
    with _cache_lock:
        _cache[db.url] = (now, site)
    return site


# -- names of linked entities -------------------------------------------------------------------------

# Every mirrored page records its links: statements compiled once, run through the driver (building
# an ``IN (...)`` of hundreds of ids as an expression cost more than running it)
_INSERT_LINK = sa.insert(ml)
_DELETE_LINK = sa.delete(ml).where(ml.c.entity_type == sa.bindparam("t"), ml.c.entity_id == sa.bindparam("i"))


def record_links(conn: Connection, names: Mapping[tuple[str, int], Any], now: dt.datetime) -> None:
    """Keep the names the site gave these links (a later event's name replaces an earlier one; a
    link without a name keeps the name known, from an earlier event or from the site itself)."""
    if not names:
        return
    named = {ref: str(n) for ref, n in names.items() if n is not None}
    known = set(link_names(conn, [ref for ref, n in names.items() if n is None]))
    unnamed = [ref for ref, n in names.items() if n is None and ref not in known]
    forget_links(conn, named.keys())
    rows = [{"entity_type": t, "entity_id": i, "name": n, "updated_at": now} for (t, i), n in named.items()]
    rows += [{"entity_type": t, "entity_id": i, "name": None, "updated_at": now} for t, i in unnamed]
    if rows:
        driver.executemany(conn, _INSERT_LINK, rows)


def unnamed_links(conn: Connection, limit: int = 10_000) -> list[tuple[str, int]]:
    """Links recorded without a name (the mirror asks the site for them)."""
    rows = conn.execute(sa.select(ml.c.entity_type, ml.c.entity_id).where(ml.c.name.is_(None)).limit(limit))
    return [(r.entity_type, int(r.entity_id)) for r in rows]


def forget_links(conn: Connection, refs: Iterable[tuple[str, int]]) -> None:
    """Links the site no longer shows (a retired entity reads as a null link, as on FPTR)."""
    keys = [{"t": t, "i": i} for t, i in refs]
    if keys:
        driver.executemany(conn, _DELETE_LINK, keys)


def link_names(conn: Connection, refs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """The recorded names of ``refs`` (those the mirror has seen and that are not retired)."""
    by_type: dict[str, list[int]] = {}
    for t, i in refs:
        by_type.setdefault(t, []).append(i)
    out: dict[tuple[str, int], Any] = {}
    for t, ids in by_type.items():
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                sa.select(ml.c.entity_id, ml.c.name).where(
                    ml.c.entity_type == t, ml.c.entity_id.in_(ids[start : start + 500])
                )
            )
            out.update({(t, int(r.entity_id)): r.name for r in rows})
    return out


class MirroredDatabase(PermissionDenied):
    """A client's entity write on a database that mirrors a site: the site is where to write."""

    def __init__(self, site: str) -> None:
        super().__init__(
            f"This shotlog database is a read-only mirror of the FPTR site {site}: "
            "write to that site instead (its events reach this mirror)",
            site=site,
        )


def refuse_if_mirrored(db: Database, *, by_client: bool) -> None:
    """Refuse a client's entity write on a mirror (shotlog's own writes, ``by_client=False``, pass)."""
    site = mirrored_site(db) if by_client else None
    if site is not None:
        raise MirroredDatabase(site)
