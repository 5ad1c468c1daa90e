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

from shotlog.eventlog.events import LinkInfo
from shotlog.schema.model import Schema
from shotlog.store.catalog import Catalog

__all__ = ["Resolved", "resolve"]

#: (type, id) -> (LinkInfo, project link or None); absent when missing or retired
Resolved = dict[tuple[str, int], tuple[LinkInfo, tuple[str, int] | None]]

_CHUNK = 900


def resolve(
    conn: Connection,
    catalog: Catalog,
    schema: Schema,
    refs: Iterable[tuple[str, int]],
    *,
    retired: bool = False,
) -> Resolved:
    """Look up ``refs``. With ``retired=True`` retired entities are resolved too."""
    by_type: dict[str, set[int]] = {}
    for t, i in refs:
        by_type.setdefault(t, set()).add(i)
    out: Resolved = {}
    for etype_name, ids in by_type.items():
        if not schema.has_entity(etype_name):
            continue
        etype = schema.entity(etype_name)
        table = catalog.table(etype_name)
        fields = schema.fields[etype_name]
        display = fields.get(etype.display_field)
        name_col: sa.ColumnElement[Any] = (
            table.c[display.column] if display is not None and display.column else sa.null()
        )
        status = fields.get("sg_status_list")
        status_col: sa.ColumnElement[Any] = (
            table.c[status.column] if status is not None and status.column else sa.null()
        )
        project = fields.get("project")
        cols: list[sa.ColumnElement[Any]] = [
            table.c.id,
            name_col.label("name"),
            status_col.label("status"),
        ]
        if project is not None and project.column and project.type_column:
            cols += [table.c[project.type_column].label("ptype"), table.c[project.column].label("pid")]
        id_list = sorted(ids)
        for start in range(0, len(id_list), _CHUNK):
            stmt = sa.select(*cols).where(table.c.id.in_(id_list[start : start + _CHUNK]))
            if etype.retirable and not retired:
                stmt = stmt.where(table.c.retirement_date.is_(None))
            for row in conn.execute(stmt):
                name = row.name if row.name is None else str(row.name)
                proj = None
                if etype_name == "Project":
                    proj = ("Project", row.id)
                elif "pid" in row._fields and row.pid is not None:
                    proj = (row.ptype, row.pid)
                out[(etype_name, row.id)] = (LinkInfo(etype_name, row.id, name, row.status), proj)
    return out
