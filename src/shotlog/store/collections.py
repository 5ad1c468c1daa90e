"""The rows of multi-entity and tag values: ``entity_links`` and ``entity_tags``.

A value is written as the difference between its old and new lists, so that a one-link change to a
long list touches one row, and positions are rewritten only when the order changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.schema.model import Field
from shotlog.store.tables import entity_links, entity_tags
from shotlog.values import Link

__all__ = ["write_links", "write_tags"]


def write_links(conn: Connection, f: Field, owner: int, old: list[Link], new: list[Link]) -> None:
    """Make the links of ``f`` on entity ``owner`` go from ``old`` to ``new``, in order."""
    if old == new:
        return
    gone = [x for x in old if x not in new]
    for t, i in gone:
        conn.execute(
            sa.delete(entity_links).where(
                entity_links.c.field == f.qualified,
                entity_links.c.src_id == owner,
                entity_links.c.dst_type == t,
                entity_links.c.dst_id == i,
            )
        )
    kept = [x for x in new if x in old]
    if kept != [x for x in old if x in new]:  # order changed: rewrite every position
        conn.execute(
            sa.delete(entity_links).where(entity_links.c.field == f.qualified, entity_links.c.src_id == owner)
        )
        old = []
    rows = [
        {"field": f.qualified, "src_id": owner, "dst_type": t, "dst_id": i, "position": pos}
        for pos, (t, i) in enumerate(new)
        if (t, i) not in old
    ]
    if rows:
        conn.execute(sa.insert(entity_links), rows)
    if old:
        for pos, (t, i) in enumerate(new):
            if (t, i) in old:
                conn.execute(
                    sa.update(entity_links)
                    .where(
                        entity_links.c.field == f.qualified,
                        entity_links.c.src_id == owner,
                        entity_links.c.dst_type == t,
                        entity_links.c.dst_id == i,
                    )
                    .values(position=pos)
                )


def write_tags(conn: Connection, f: Field, owner: int, old: list[str], new: list[str]) -> None:
    """Make the tags of ``f`` on entity ``owner`` go from ``old`` to ``new``: the list rewritten."""
    if old == new:
        return
    conn.execute(
        sa.delete(entity_tags).where(entity_tags.c.field == f.qualified, entity_tags.c.owner_id == owner)
    )
    if new:
        conn.execute(
            sa.insert(entity_tags),
            [
                {"field": f.qualified, "owner_id": owner, "tag": tag, "position": pos}
                for pos, tag in enumerate(new)
            ],
        )
