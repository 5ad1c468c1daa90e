"""Reading entities: find with filters, deep fields, sorting and paging; summarize.

One SQL query selects the page (filters, joins for deep paths, order, limit, offset). Values that
live outside the entity's row (multi-entity, reverse and tag fields) are fetched for the whole page
in one query per field, and every link is resolved to its current name in one query per type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.errors import FilterError, ShotlogError
from shotlog.query.filters import Group
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Field, Schema
from shotlog.store import eventids, idlists, names
from shotlog.store.catalog import Catalog
from shotlog.store.querybuilder import QueryBuilder, Resolved
from shotlog.store.tables import entity_links, entity_tags
from shotlog.values import from_storage

__all__ = ["LATEST_BY", "Query", "base_query", "check_presets", "count_rows", "fetch_collections", "find"]


@dataclass(frozen=True, slots=True)
class Query:
    entity_type: str
    filters: Group
    fields: Sequence[str] = ("id",)
    order: list[Any] | None = None
    limit: int | None = None
    offset: int = 0
    retired_only: bool = False
    include_archived_projects: bool = True
    #: LATEST presets (their latest_by values), from ``check_presets``
    presets: tuple[str, ...] = ()
    #: EventLogEntry on PostgreSQL: the highest id read, the event log's horizon (``find``)
    upto: int | None = None


def base_query(
    schema: Schema, catalog: Catalog, q: Query, now: dt.datetime
) -> tuple[QueryBuilder, sa.ColumnElement[bool]]:
    """The builder and WHERE clause shared by find and summarize: filters, retirement, archived
    projects and filter presets."""
    qb = QueryBuilder(schema, catalog.table, q.entity_type, now)
    where = _scope(schema, catalog, qb, q)
    for preset in q.presets:
        if preset.startswith("CUT_SHOT_VERSIONS:"):
            raise FilterError(
                f"The CUT_SHOT_VERSIONS preset (cut_id {preset.partition(':')[2]}) reads Cut and CutItem "
                "entities, which shotlog does not have",
                value=preset,
            )
        where = sa.and_(where, _latest(schema, catalog, qb, q, now, preset))
    return qb, where


def _scope(schema: Schema, catalog: Catalog, qb: QueryBuilder, q: Query) -> sa.ColumnElement[bool]:
    where = qb.where(q.filters)
    where = where if q.upto is None else sa.and_(where, qb.base.c.id <= q.upto)
    etype = qb.etype
    if etype.retirable:
        retired = qb.base.c.retirement_date
        where = sa.and_(where, retired.is_not(None) if q.retired_only else retired.is_(None))
    elif q.retired_only:
        where = sa.false()  # nothing of a type that cannot be retired ever is (EventLogEntry)
    if not q.include_archived_projects:
        archived = schema.fields["Project"]["archived"].column
        assert archived is not None
        projects = catalog.table("Project")
        if q.entity_type == "Project":
            where = sa.and_(where, qb.base.c[archived].is_(sa.false()))
        elif "project" in schema.fields[q.entity_type]:
            pf = schema.fields[q.entity_type]["project"]
            assert pf.column
            archived_ids = sa.select(projects.c.id).where(projects.c[archived].is_(sa.true()))
            where = sa.and_(
                where, sa.or_(qb.base.c[pf.column].is_(None), qb.base.c[pf.column].not_in(archived_ids))
            )
    return where


#: FPTR's documented LATEST variants: ENTITIES_CREATED_AT and BY_PIPELINE_STEP_... (Version,
#: PublishedFile), VERSION_NUMBER (PublishedFile), REVISION_NUMBER (Cut)
LATEST_BY = (
    "ENTITIES_CREATED_AT",
    "BY_PIPELINE_STEP_NUMBER_AND_ENTITIES_CREATED_AT",
    "VERSION_NUMBER",
    "REVISION_NUMBER",
)
_STEP_PATHS = {"sg_task": "sg_task.Task.step.Step.list_order", "task": "task.Task.step.Step.list_order"}
#: the field each numbered LATEST variant ranks by
_RANK_FIELDS = {"VERSION_NUMBER": "version_number", "REVISION_NUMBER": "revision_number"}
_PRESET_NAMES = ("LATEST", "CUT_SHOT_VERSIONS")


def check_presets(presets: Any) -> tuple[str, ...]:
    """``[{"preset_name": "LATEST", "latest_by": ...}]`` → the ``latest_by`` values, checked.

    ``CUT_SHOT_VERSIONS`` (``cut_id``) is checked here and refused by ``base_query``: it reads Cut
    and CutItem entities, which shotlog's schema does not have.
    """
    if not presets:
        return ()
    if not isinstance(presets, list | tuple):
        raise FilterError(f"additional_filter_presets must be a list, got {presets!r}", value=presets)
    out = []
    for p in presets:
        name = p.get("preset_name") if isinstance(p, dict) else None
        if name not in _PRESET_NAMES:
            raise FilterError(
                f"Unknown filter preset {p!r}: the presets are {' and '.join(_PRESET_NAMES)}", value=p
            )
        assert isinstance(p, dict)
        if name == "CUT_SHOT_VERSIONS":
            cut = p.get("cut_id")
            if isinstance(cut, bool) or not isinstance(cut, int):
                raise FilterError(f"CUT_SHOT_VERSIONS preset: cut_id must be a Cut id, got {cut!r}", value=p)
            out.append(f"CUT_SHOT_VERSIONS:{cut}")
            continue
        by = p.get("latest_by")
        if by not in LATEST_BY:
            raise FilterError(
                f"LATEST preset: latest_by must be one of {', '.join(LATEST_BY)}, got {by!r}", value=p
            )
        out.append(by)
    return tuple(out)


def _latest(
    schema: Schema, catalog: Catalog, qb: QueryBuilder, q: Query, now: dt.datetime, latest_by: str
) -> sa.ColumnElement[bool]:
    """LATEST: keep a row unless another matching row of the same ``entity`` is later.

    "Later" is a newer ``created_at`` (then a higher id); with BY_PIPELINE_STEP_NUMBER_... a higher
    ``list_order`` of the task's pipeline step comes first, with VERSION_NUMBER a higher
    ``version_number``. Rows without an entity are kept. REVISION_NUMBER (FPTR's preset for Cuts)
    keeps the rows with the highest ``revision_number`` of all the matching rows.
    """
    fields = schema.fields[q.entity_type]
    other = QueryBuilder(schema, catalog.table, q.entity_type, now, prefix="lt")
    mine, theirs = qb.base, other.base
    rank_field = _RANK_FIELDS.get(latest_by)
    if rank_field is not None and (rank_field not in fields or not fields[rank_field].column):
        raise FilterError(
            f"LATEST by {latest_by} needs a {rank_field} field; {q.entity_type} has none", value=latest_by
        )
    if latest_by == "REVISION_NUMBER":
        rank = fields[rank_field or ""].column or ""
        higher = sa.func.coalesce(theirs.c[rank], -1) > sa.func.coalesce(mine.c[rank], -1)
        best = (
            sa.select(sa.literal(1)).select_from(other.from_).where(_scope(schema, catalog, other, q), higher)
        )
        return sa.not_(best.exists())
    link = fields.get("entity")
    if link is None or link.storage is not Storage.LINK:
        raise FilterError(
            f"The LATEST preset needs an entity field; {q.entity_type} has none", value=latest_by
        )
    assert link.type_column and link.column
    newer = sa.or_(
        theirs.c.created_at > mine.c.created_at,
        sa.and_(theirs.c.created_at == mine.c.created_at, theirs.c.id > mine.c.id),
    )
    if latest_by == "VERSION_NUMBER":
        column = fields["version_number"].column or ""
        my_rank = sa.func.coalesce(mine.c[column], -1)
        their_rank = sa.func.coalesce(theirs.c[column], -1)
        newer = sa.or_(their_rank > my_rank, sa.and_(their_rank == my_rank, newer))
    elif latest_by != "ENTITIES_CREATED_AT":
        task = next((name for name in _STEP_PATHS if name in fields), None)
        if task is None:
            raise FilterError(
                f"{latest_by} needs a task field (sg_task or task) on {q.entity_type}", value=latest_by
            )
        path = _STEP_PATHS[task]
        my_rank = sa.func.coalesce(_column(qb.resolve(path)), -1)
        their_rank = sa.func.coalesce(_column(other.resolve(path)), -1)
        newer = sa.or_(their_rank > my_rank, sa.and_(their_rank == my_rank, newer))
    rival = (
        sa.select(sa.literal(1))
        .select_from(other.from_)
        .where(
            _scope(schema, catalog, other, q),
            theirs.c[link.type_column] == mine.c[link.type_column],
            theirs.c[link.column] == mine.c[link.column],
            newer,
        )
    )
    return sa.not_(rival.exists())


def _column(r: Resolved) -> sa.ColumnElement[Any]:
    return r.alias.c[r.field.column or "id"]


def find(
    conn: Connection, catalog: Catalog, schema: Schema, q: Query, now: dt.datetime
) -> list[dict[str, Any]]:
    if q.limit is not None and (isinstance(q.limit, bool) or not isinstance(q.limit, int) or q.limit < 0):
        raise FilterError(f"limit must be a non-negative integer, got {q.limit!r}", value=q.limit)
    if isinstance(q.offset, bool) or not isinstance(q.offset, int) or q.offset < 0:
        raise FilterError(f"offset must be a non-negative integer, got {q.offset!r}", value=q.offset)
    if q.entity_type == "EventLogEntry" and not catalog.db.is_sqlite:  # read first: store/eventids.py
        q = replace(q, upto=eventids.horizon(conn, False))  # so no poller passes an open id
    qb, where = base_query(schema, catalog, q, now)
    order = qb.order_by(q.order)

    # Plan the selected columns: (key, resolved field or None, positions in the row)
    plan: list[tuple[str, Resolved | None, list[int]]] = []
    r: Resolved | None
    cols: list[sa.ColumnElement[Any]] = [qb.base.c.id.label("id")]
    for key in q.fields or ():
        if not isinstance(key, str):
            raise FilterError(f"Field names must be strings, got {key!r}", value=key)
    for key in dict.fromkeys(q.fields or ()):
        if not isinstance(key, str):
            raise FilterError(f"Field names must be strings, got {key!r}", value=key)
        if key in ("id", "type"):
            continue
        try:
            r = qb.resolve(key)
        except ShotlogError:
            plan.append((key, None, []))  # as FPTR: a field this type lacks reads as None
            continue
        f = r.field
        positions: list[int] = []
        if f.storage is Storage.LINK:
            assert f.type_column and f.column
            for c in (f.type_column, f.column):
                positions.append(len(cols))
                cols.append(r.alias.c[c].label(f"c{len(cols)}"))
        elif f.storage is Storage.COLUMN:
            positions.append(len(cols))
            cols.append(r.alias.c[f.column or "id"].label(f"c{len(cols)}"))
        elif f.storage in (Storage.MULTI, Storage.REVERSE, Storage.TAGS):
            positions.append(len(cols))
            cols.append(r.alias.c.id.label(f"c{len(cols)}"))  # the owner, for fetch_collections
        plan.append((key, r, positions))

    page_ids = _page_ids_by_value(conn, catalog, schema, q, now)
    if page_ids is not None:
        # the page is known: exactly those rows, the ids as one parameter (a statement that does
        # not grow with the page)
        where = idlists.among(qb.base.c.id, "page_ids", sqlite=catalog.db.is_sqlite, ids=page_ids)
    stmt = sa.select(*cols).select_from(qb.from_).where(where).order_by(*order)
    if page_ids is None:
        if q.limit:
            stmt = stmt.limit(q.limit)
        if q.offset:
            stmt = stmt.offset(q.offset)
    rows = conn.execute(stmt).all()

    # Collections (multi-entity, reverse, tags) for the whole page, per field.
    collections: dict[tuple[str, str], dict[int, list[Any]]] = {}
    for _key, res, positions in plan:
        r = res
        if r is None or r.field.storage not in (Storage.MULTI, Storage.REVERSE, Storage.TAGS):
            continue
        ck = (r.field.entity_type, r.field.name)
        p0 = positions[0]
        owners = {row[p0] for row in rows} - {None}
        if ck not in collections:
            collections[ck] = {}
        missing = owners - set(collections[ck])
        if missing:
            collections[ck].update(fetch_collections(conn, schema, catalog, r.field, missing))

    refs: set[tuple[str, int]] = set()
    link_positions = [p for _k, res, p in plan if res is not None and res.field.storage is Storage.LINK]
    for row in rows:
        for pt, pi in link_positions:
            i = row[pi]
            if i is not None and row[pt] is not None:
                refs.add((row[pt], i))
    for per_owner in collections.values():
        for items in per_owner.values():
            refs.update(x for x in items if isinstance(x, tuple))
    resolved = names.resolve(conn, catalog, schema, refs, minimal=True)

    # Shape each row. The common kinds are handled inline: this loop runs for every cell of a page
    # (500 events x 9 fields), so a function call per cell is most of a page's client time.
    shapers = [(key, _kind(res), positions, res) for key, res, positions in plan]
    names_of = {ref: info[0].name for ref, info in resolved.items()}
    utc = dt.UTC
    out: list[dict[str, Any]] = []
    for row in rows:
        rec: dict[str, Any] = {"type": q.entity_type, "id": row[0]}
        for key, kind, positions, res in shapers:
            if kind == _PLAIN:
                rec[key] = row[positions[0]]
            elif kind == _LINK:
                t, i = row[positions[0]], row[positions[1]]
                ref = (t, i)
                rec[key] = {"type": t, "id": i, "name": names_of[ref]} if ref in names_of else None
            elif kind == _DATETIME:
                v = row[positions[0]]
                rec[key] = None if v is None else v.replace(tzinfo=utc)
            elif res is None:
                rec[key] = None
            else:
                rec[key] = _value(res.field, row, positions, collections, resolved)
        out.append(rec)
    return out


#: an ``in`` filter with this many values at most may be split into one ordered scan per value
MAX_SPLIT_VALUES = 32


def _page_ids_by_value(
    conn: Connection, catalog: Catalog, schema: Schema, q: Query, now: dt.datetime
) -> list[int] | None:
    """The ids of a page ordered by id whose filters hold ``field in [a, b, ...]``, or None.

    Such a page ("events of these types in this project after my cursor") has no index that yields
    its rows in id order: ``(project, event_type, id)`` does so for one event type at a time. The
    planner then walks the primary key and filters, which on a large log reads tens of thousands
    of rows for a page. Asking once per value, each with its own ordered index range and limit,
    and merging the few resulting ids, reads no more than ``values x page`` index entries. Only a
    plain column qualifies (one value per row, so no row comes back twice).
    """
    if not q.limit or q.presets:
        return None
    if q.order is not None and not (
        isinstance(q.order, list | tuple)
        and len(q.order) == 1
        and isinstance(q.order[0], dict)
        and q.order[0].get("field_name", q.order[0].get("column")) == "id"
    ):
        return None
    group = q.filters
    if not isinstance(group, dict) or group.get("logical_operator", "and") != "and":
        return None
    conditions = group.get("conditions") or []
    splits = [
        k
        for k, c in enumerate(conditions)
        if isinstance(c, dict) and c.get("relation") == "in" and isinstance(c.get("path"), str)
    ]
    if len(splits) != 1:
        return None
    k = splits[0]
    cond = conditions[k]
    path, values = cond["path"], cond.get("values")
    f = schema.fields[q.entity_type].get(path)
    if (
        f is None
        or "." in path
        or f.storage is not Storage.COLUMN
        or not isinstance(values, list)
        or not 2 <= len(values) <= MAX_SPLIT_VALUES
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values)
    ):
        return None
    members = []
    for value in dict.fromkeys(values):
        one = {
            **group,
            "conditions": [
                *conditions[:k],
                {**cond, "relation": "is", "values": [value]},
                *conditions[k + 1 :],
            ],
        }
        mq = Query(
            q.entity_type,
            one,
            order=q.order,
            limit=q.limit + q.offset,
            retired_only=q.retired_only,
            include_archived_projects=q.include_archived_projects,
            upto=q.upto,
        )
        mqb, mwhere = base_query(schema, catalog, mq, now)
        member = (
            sa.select(mqb.base.c.id.label("id"))
            .select_from(mqb.from_)
            .where(mwhere)
            .order_by(*mqb.order_by(mq.order))
            .limit(mq.limit)
        )
        members.append(sa.select(member.subquery().c.id))
    merged = sa.union_all(*members).subquery()
    descending = q.order is not None and str(q.order[0].get("direction", "asc")).lower() == "desc"
    stmt = sa.select(merged.c.id).order_by(merged.c.id.desc() if descending else merged.c.id.asc())
    stmt = stmt.limit(q.limit).offset(q.offset or None)
    return [int(r[0]) for r in conn.execute(stmt)]


_PLAIN, _LINK, _DATETIME, _OTHER = range(4)


def _kind(res: Resolved | None) -> int:
    if res is None:
        return _OTHER
    if _plain(res):
        return _PLAIN
    if res.field.storage is Storage.LINK:
        return _LINK
    if res.field.storage is Storage.COLUMN and res.field.dtype.kind == "datetime":
        return _DATETIME
    return _OTHER


_PASS_THROUGH = {"str", "int", "float", "json"}


def _plain(res: Resolved | None) -> bool:
    """A column whose stored value is the API value as is (text, numbers, JSON; not passwords)."""
    return (
        res is not None
        and res.field.storage is Storage.COLUMN
        and res.field.dtype.kind in _PASS_THROUGH
        and res.field.data_type != "password"
    )


def _value(
    f: Field,
    row: Any,
    positions: list[int],
    collections: dict[tuple[str, str], dict[int, list[Any]]],
    resolved: names.Resolved,
) -> Any:
    storage = f.storage
    # plain columns, links and datetimes are shaped inline in find(); this is the rest
    if storage is Storage.COLUMN:
        return from_storage(f, row[positions[0]])
    if storage in (Storage.MULTI, Storage.REVERSE, Storage.TAGS):
        owner = row[positions[0]]
        items = collections[(f.entity_type, f.name)].get(owner, []) if owner is not None else []
        if storage is Storage.TAGS:
            return list(items)
        return [resolved[x][0].link() for x in items if x in resolved]
    return None


def fetch_collections(
    conn: Connection, schema: Schema, catalog: Catalog, f: Field, owners: set[int]
) -> dict[int, list[Any]]:
    """Multi-entity, reverse or tag values of ``owners``: owner id -> list of (type, id) or tags."""
    out: dict[int, list[Any]] = {o: [] for o in owners}
    ids = sorted(owners)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        if f.storage is Storage.TAGS:
            stmt = (
                sa.select(entity_tags.c.owner_id, entity_tags.c.tag)
                .where(entity_tags.c.field == f.qualified, entity_tags.c.owner_id.in_(chunk))
                .order_by(entity_tags.c.owner_id, entity_tags.c.position)
            )
            for owner, tag in conn.execute(stmt):
                out[owner].append(tag)
        elif f.storage is Storage.MULTI:
            el = entity_links
            stmt = (
                sa.select(el.c.src_id, el.c.dst_type, el.c.dst_id)
                .where(el.c.field == f.qualified, el.c.src_id.in_(chunk))
                .order_by(el.c.src_id, el.c.position)
            )
            for link_row in conn.execute(stmt):
                out[link_row.src_id].append((link_row.dst_type, link_row.dst_id))
        else:
            source_type, source_name = f.reverse_source()
            source = schema.field(source_type, source_name)
            if source.storage is Storage.LINK:
                src = catalog.table(source_type)
                assert source.type_column and source.column
                stmt = (
                    sa.select(src.c[source.column], src.c.id)
                    .where(src.c[source.type_column] == f.entity_type, src.c[source.column].in_(chunk))
                    .order_by(src.c.id)
                )
            else:
                el = entity_links
                stmt = (
                    sa.select(el.c.dst_id, el.c.src_id)
                    .where(
                        el.c.field == source.qualified, el.c.dst_type == f.entity_type, el.c.dst_id.in_(chunk)
                    )
                    .order_by(el.c.src_id)
                )
            for owner, sid in conn.execute(stmt):
                out[owner].append((source_type, sid))
    return out


def count_rows(conn: Connection, catalog: Catalog, schema: Schema, q: Query, now: dt.datetime) -> int:
    """How many entities match ``q`` (its filters, retirement and archived-project rules)."""
    qb, where = base_query(schema, catalog, q, now)
    stmt = sa.select(sa.func.count()).select_from(qb.from_).where(where)
    return int(conn.execute(stmt).scalar_one())
