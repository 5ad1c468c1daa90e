"""Resolving links to what is shown of them: display name, status and project, or nothing if retired.

Links are stored as (type, id) and resolved when read, so a rename shows everywhere at once and a
retired entity reads as a null link (FPTR shows EventLogEntry.entity as null while its subject is
retired). One query per entity type per batch of ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.schema.model import EntityType, Schema
from shotlog.store import idlists, mirrors
from shotlog.store.catalog import Catalog
from shotlog.store.subjects import LinkInfo, Resolved

__all__ = ["Resolved", "names_of", "resolve"]

_CHUNK = 900


def resolve(
    conn: Connection,
    catalog: Catalog,
    schema: Schema,
    refs: Iterable[tuple[str, int]],
    *,
    retired: bool = False,
    minimal: bool = False,
) -> Resolved:
    """Look up ``refs``. With ``retired=True`` retired entities are resolved too.

    ``minimal=True`` reads names only (status and project come back None): what reads need, and
    about half the work on a page of 500 events.
    """
    by_type: dict[str, set[int]] = {}
    for t, i in refs:
        by_type.setdefault(t, set()).add(i)
    if minimal and by_type:
        return _names_only(conn, catalog, schema, by_type, retired)
    out: Resolved = {}
    for etype_name, ids in by_type.items():
        if not schema.has_entity(etype_name):
            continue
        etype = schema.entity(etype_name)
        table = catalog.table(etype_name)
        fields = schema.fields[etype_name]
        cols: list[sa.ColumnElement[Any]] = [table.c.id, _name_column(schema, etype, table).label("name")]
        status = fields.get("sg_status_list")
        project = fields.get("project")
        with_status = not minimal and status is not None and status.column is not None
        with_project = not minimal and project is not None and bool(project.column and project.type_column)
        if with_status:
            assert status is not None and status.column
            cols.append(table.c[status.column])
        if with_project:
            assert project is not None and project.column and project.type_column
            cols += [table.c[project.type_column], table.c[project.column]]
        id_list = sorted(ids)
        for start in range(0, len(id_list), _CHUNK):
            stmt = sa.select(*cols).where(table.c.id.in_(id_list[start : start + _CHUNK]))
            if etype.retirable and not retired:
                stmt = stmt.where(table.c.retirement_date.is_(None))
            for row in conn.execute(stmt):
                entity_id, name = row[0], row[1]
                state = row[2] if with_status else None
                proj = None
                if etype_name == "Project":
                    proj = ("Project", entity_id)
                elif with_project and row[-1] is not None:
                    proj = (row[-2], row[-1])
                out[(etype_name, entity_id)] = (LinkInfo(etype_name, entity_id, name, state), proj)
    return out


def names_of(
    conn: Connection, catalog: Catalog, schema: Schema, refs: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Any]:
    """The display names of ``refs`` that exist and are not retired, as ``resolve(minimal=True)``
    finds them, without building a ``LinkInfo`` per entity (the event daemon reads every event)."""
    by_type: dict[str, set[int]] = {}
    for t, i in refs:
        by_type.setdefault(t, set()).add(i)
    return _mirrored(
        conn, catalog, by_type, _name_rows(conn, catalog, schema, by_type, False) if by_type else {}
    )


def _names_only(
    conn: Connection, catalog: Catalog, schema: Schema, by_type: dict[str, set[int]], retired: bool
) -> Resolved:
    found = _name_rows(conn, catalog, schema, by_type, retired)
    return {
        (t, i): (LinkInfo(t, i, name, None), None)
        for (t, i), name in _mirrored(conn, catalog, by_type, found).items()
    }


def _mirrored(
    conn: Connection, catalog: Catalog, by_type: dict[str, set[int]], found: dict[tuple[str, int], Any]
) -> dict[tuple[str, int], Any]:
    """On a database that mirrors an FPTR site, links are named as the site named them in its
    events (``shotlog.store.mirrors``): the mirror holds the site's events but not its entities, and
    a link to a type this schema lacks is named too."""
    if not by_type or mirrors.mirrored_site(catalog.db) is None:
        return found
    refs = [(t, i) for t, ids in by_type.items() for i in ids]
    return {**found, **mirrors.link_names(conn, refs)}


def _name_rows(
    conn: Connection, catalog: Catalog, schema: Schema, by_type: dict[str, set[int]], retired: bool
) -> dict[tuple[str, int], Any]:
    """Names of several entity types in one round trip: a UNION ALL of one indexed lookup per type.

    A page of 500 events links to 8 or 9 types; one statement instead of one each matters most on
    PostgreSQL, where each is a network round trip. There the ids go as one array parameter per
    type (``id = ANY(:ids)``), which the driver binds faster than a long ``IN`` list.
    """
    pg = not catalog.db.is_sqlite
    known = sorted(t for t in by_type if schema.has_entity(t))
    if not known:
        return {}
    tables = tuple((t, catalog.table(t)) for t in known)
    key = (pg, retired, tables)
    query = _NAMES_CACHE.get(key)
    if query is None:
        query = _names_statement(schema, tables, pg=pg, retired=retired)
        if len(_NAMES_CACHE) >= _NAMES_CACHE_SIZE:
            _NAMES_CACHE.clear()
        _NAMES_CACHE[key] = query
    params = {f"ids_{k}": idlists.param(sorted(by_type[t]), sqlite=not pg) for k, t in enumerate(known)}
    return {
        (etype_name, entity_id): name for etype_name, entity_id, name in conn.execute(query, params).all()
    }


# Statements of _names_only by (backend, retired, the types and their table objects). A page of events
# links to the same few combinations of types again and again; building the UNION costs more than
# running it, so it is built once per combination (a schema reload makes new tables, hence new keys).
_NAMES_CACHE: dict[tuple[Any, ...], sa.CompoundSelect[Any] | sa.Select[Any]] = {}
_NAMES_CACHE_SIZE = 512


def _names_statement(
    schema: Schema, tables: tuple[tuple[str, sa.Table], ...], *, pg: bool, retired: bool
) -> sa.CompoundSelect[Any] | sa.Select[Any]:
    selects = []
    for k, (etype_name, table) in enumerate(tables):
        etype = schema.entity(etype_name)
        name_col = _name_column(schema, etype, table)
        match = idlists.among(table.c.id, f"ids_{k}", sqlite=not pg)
        stmt = sa.select(
            sa.literal(etype_name).label("t"), table.c.id.label("id"), name_col.label("name")
        ).where(match)
        if etype.retirable and not retired:
            stmt = stmt.where(table.c.retirement_date.is_(None))
        selects.append(stmt)
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def _name_column(schema: Schema, etype: EntityType, table: sa.Table) -> sa.ColumnElement[Any]:
    """The display field as text (a number display field reads as its digits), or NULL if none."""
    display = schema.fields[etype.name].get(etype.display_field)
    if display is None or not display.column:
        return sa.null()
    return sa.cast(table.c[display.column], sa.Text)
