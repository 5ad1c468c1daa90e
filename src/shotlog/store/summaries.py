"""summarize: FPTR's aggregates and groupings, computed in SQL.

The totals come from one aggregate query; each grouping level is one more ``GROUP BY`` query over the
keys of that level and the levels above it, and the tree is assembled from those rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.errors import FilterError, ShotlogError
from shotlog.query.filters import Group
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Schema
from shotlog.store import names
from shotlog.store.catalog import Catalog
from shotlog.store.querybuilder import QueryBuilder, Resolved
from shotlog.store.reader import Query, base_query
from shotlog.store.tables import entity_tags
from shotlog.values import from_storage

__all__ = ["GROUPING_TYPES", "SUMMARY_TYPES", "summarize"]

SUMMARY_TYPES = (
    "record_count",
    "count",
    "sum",
    "maximum",
    "minimum",
    "average",
    "earliest",
    "latest",
    "percentage",
    "status_percentage",
    "checked",
    "unchecked",
)
_BUCKETS = {
    "tens": 10,
    "hundreds": 100,
    "thousands": 1000,
    "tensofthousands": 10_000,
    "hundredsofthousands": 100_000,
    "millions": 1_000_000,
}
GROUPING_TYPES = ("exact", "firstletter", "entitytype", "day", "week", "month", "quarter", "year", *_BUCKETS)
_NUMERIC = ("int", "float")


def _resolve(qb: QueryBuilder, path: str) -> Resolved:
    try:
        return qb.resolve(path)
    except FilterError:
        raise
    except ShotlogError as exc:  # an unknown field or type, reported like the same mistake in a filter
        raise FilterError(f"Bad summary field {path!r}: {exc}", field=path) from exc


def _aggregate(
    qb: QueryBuilder, spec: Any, idx: int
) -> tuple[str, str, sa.ColumnElement[Any], Resolved | None]:
    if (
        not isinstance(spec, Mapping)
        or not isinstance(spec.get("field"), str)
        or not isinstance(spec.get("type"), str)
    ):
        raise FilterError(f"A summary field is {{'field': name, 'type': kind}}, got {spec!r}", value=spec)
    path, kind = spec["field"], spec["type"]
    if kind not in SUMMARY_TYPES:
        raise FilterError(f"Unknown summary type {kind!r}; use one of {', '.join(SUMMARY_TYPES)}", value=kind)
    label = f"s{idx}"
    if kind == "record_count":
        return path, kind, sa.func.count().label(label), None
    r = _resolve(qb, path)
    f = r.field
    if f.storage is Storage.LINK:
        col: sa.ColumnElement[Any] = r.alias.c[f.column or "id"]
    elif f.storage is Storage.COLUMN:
        col = r.alias.c[f.column or "id"]
    else:
        if kind != "count" or f.storage not in (Storage.MULTI, Storage.REVERSE, Storage.TAGS):
            raise FilterError(f"Summary {kind!r} does not apply to {f.qualified} ({f.data_type})", field=path)
        # count of a collection field: the records that hold at least one item
        if f.storage is Storage.TAGS:
            tg = entity_tags.alias(f"{qb.prefix}g{idx}")
            stmt = sa.select(sa.literal(1)).where(tg.c.field == f.qualified, tg.c.owner_id == r.alias.c.id)
        else:
            stmt, _t, _i = qb.members(r)
        return path, kind, sa.func.sum(sa.case((stmt.exists(), 1), else_=0)).label(label), r
    dkind = f.dtype.kind
    expr: sa.ColumnElement[Any]
    if kind == "count":
        expr = sa.func.count(col)
    elif kind in ("sum", "average"):
        if dkind not in _NUMERIC:
            raise FilterError(
                f"Summary {kind!r} needs a number field, {f.qualified} is {f.data_type}", field=path
            )
        expr = sa.func.sum(col) if kind == "sum" else sa.func.avg(col)
    elif kind in ("maximum", "minimum", "earliest", "latest"):
        if dkind not in (*_NUMERIC, "date", "datetime", "str"):
            raise FilterError(f"Summary {kind!r} does not apply to {f.qualified} ({f.data_type})", field=path)
        expr = sa.func.max(col) if kind in ("maximum", "latest") else sa.func.min(col)
    elif kind in ("checked", "unchecked"):
        if f.data_type != "checkbox":
            raise FilterError(
                f"Summary {kind!r} needs a checkbox field, {f.qualified} is {f.data_type}", field=path
            )
        expr = sa.func.sum(sa.case((col.is_(kind == "checked"), 1), else_=0))
    elif kind == "status_percentage":
        if f.data_type != "status_list":
            raise FilterError(
                f"Summary 'status_percentage' needs a status field, {f.qualified} is {f.data_type}",
                field=path,
            )
        final = "fin" if "fin" in f.valid_values or not f.valid_values else f.valid_values[-1]
        expr = sa.func.sum(sa.case((col == final, 1), else_=0)) * 100.0 / sa.func.nullif(sa.func.count(), 0)
    else:  # percentage: records with a value (checked, for checkboxes)
        present = col.is_(True) if f.data_type == "checkbox" else col.is_not(None)
        expr = sa.func.sum(sa.case((present, 1), else_=0)) * 100.0 / sa.func.nullif(sa.func.count(), 0)
    return path, kind, expr.label(label), r


def _group_key(
    qb: QueryBuilder, spec: Any, is_sqlite: bool, level: int
) -> tuple[list[sa.ColumnElement[Any]], Resolved, str]:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("field"), str):
        raise FilterError(f"A grouping is {{'field': name, 'type': kind}}, got {spec!r}", value=spec)
    kind = spec.get("type", "exact")
    if kind not in GROUPING_TYPES:
        raise FilterError(
            f"Unknown grouping type {kind!r}; use one of {', '.join(GROUPING_TYPES)}", value=kind
        )
    direction = spec.get("direction", "asc")
    if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
        raise FilterError(f"Grouping direction must be 'asc' or 'desc', got {direction!r}", value=direction)
    path = spec["field"]
    r = _resolve(qb, path)
    f = r.field
    label = f"g{level}"
    if f.storage is Storage.LINK:
        assert f.type_column and f.column
        if kind == "entitytype":
            return [r.alias.c[f.type_column].label(f"{label}a")], r, kind
        if kind != "exact":
            raise FilterError(
                f"Grouping {kind!r} does not apply to {f.qualified} ({f.data_type}); use exact or entitytype",
                field=path,
            )
        return [r.alias.c[f.type_column].label(f"{label}a"), r.alias.c[f.column].label(f"{label}b")], r, kind
    if f.storage is not Storage.COLUMN:
        raise FilterError(f"Cannot group by {f.qualified} ({f.data_type})", field=path)
    col = r.alias.c[f.column or "id"]
    dkind = f.dtype.kind
    expr: sa.ColumnElement[Any] = col
    if kind == "entitytype":
        raise FilterError(
            f"Grouping 'entitytype' needs an entity field, {f.qualified} is {f.data_type}", field=path
        )
    if kind == "firstletter":
        if dkind != "str":
            raise FilterError(
                f"Grouping 'firstletter' needs a text field, {f.qualified} is {f.data_type}", field=path
            )
        expr = sa.func.upper(sa.func.substr(col, 1, 1))
    elif kind in _BUCKETS:
        if dkind not in _NUMERIC:
            raise FilterError(
                f"Grouping {kind!r} needs a number field, {f.qualified} is {f.data_type}", field=path
            )
        n = _BUCKETS[kind]
        bucket = sa.cast(sa.func.floor(col / sa.literal(float(n))), sa.BigInteger) * n
        # SQLAlchemy gives SQLite a Python floor() that raises on NULL, so NULL never reaches it.
        expr = sa.case((col.is_(None), sa.null()), else_=bucket)
    elif kind in ("day", "week", "month", "quarter", "year"):
        if dkind not in ("date", "datetime"):
            raise FilterError(
                f"Grouping {kind!r} needs a date field, {f.qualified} is {f.data_type}", field=path
            )
        expr = _date_bucket(col, kind, is_sqlite)
    return [expr.label(label)], r, kind


def _date_bucket(col: sa.ColumnElement[Any], kind: str, is_sqlite: bool) -> sa.ColumnElement[Any]:
    """A date bucket as text: 2026-11-27 (day, week's Monday), 2026-11 (month), 2026-Q4, 2026."""
    if is_sqlite:
        if kind == "day":
            return sa.func.strftime("%Y-%m-%d", col)
        if kind == "week":
            return sa.func.date(col, "weekday 0", "-6 days")
        if kind == "month":
            return sa.func.strftime("%Y-%m", col)
        if kind == "year":
            return sa.func.strftime("%Y", col)
        month = sa.cast(sa.func.strftime("%m", col), sa.Integer)
        return sa.func.strftime("%Y", col) + "-Q" + sa.cast((month + 2) // 3, sa.String)
    fmt = {
        "day": "YYYY-MM-DD",
        "week": "YYYY-MM-DD",
        "month": "YYYY-MM",
        "year": "YYYY",
        "quarter": 'YYYY-"Q"Q',
    }[kind]
    base = sa.func.date_trunc("week", col) if kind == "week" else col
    return sa.func.to_char(base, fmt)


def summarize(
    conn: Connection,
    catalog: Catalog,
    schema: Schema,
    entity_type: str,
    filters: Group,
    summary_fields: list[dict[str, str]],
    grouping: list[dict[str, str]] | None,
    include_archived_projects: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    if not isinstance(summary_fields, list):
        raise FilterError(f"summary_fields must be a list, got {summary_fields!r}", value=summary_fields)
    q = Query(entity_type, filters, include_archived_projects=include_archived_projects)
    qb, where = base_query(schema, catalog, q, now)
    aggs = [_aggregate(qb, s, i) for i, s in enumerate(summary_fields)]
    levels = [_group_key(qb, g, catalog.db.is_sqlite, i) for i, g in enumerate(grouping or [])]
    agg_cols = [a[2] for a in aggs]

    def values(row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for (path, kind, col, r), _ in zip(aggs, agg_cols, strict=True):
            v = getattr(row, col.name)
            if (
                r is not None
                and kind in ("maximum", "minimum", "earliest", "latest")
                and r.field.storage is Storage.COLUMN
            ):
                v = from_storage(r.field, v)
            elif kind in ("average", "percentage", "status_percentage") and v is not None:
                v = float(v)
            elif kind in ("count", "record_count", "checked", "unchecked", "sum") and v is None:
                v = 0
            elif kind == "sum" and r is not None:
                # PostgreSQL sums integers as numeric: read back as Decimal without this.
                v = int(v) if r.field.dtype.kind == "int" else float(v)
            elif kind in ("count", "checked", "unchecked", "record_count"):
                v = int(v)
            out[path] = v
        return out

    totals: dict[str, Any] = {}
    if agg_cols:
        totals = values(conn.execute(sa.select(*agg_cols).select_from(qb.from_).where(where)).one())
    result: dict[str, Any] = {"summaries": totals, "groups": []}
    if not levels:
        return result

    # One GROUP BY query per level; rows keyed by the tuple of keys down to that level.
    per_level: list[list[tuple[tuple[Any, ...], Any]]] = []
    for depth in range(len(levels)):
        keys = [c for lvl in levels[: depth + 1] for c in lvl[0]]
        direction = [str((grouping or [])[i].get("direction", "asc")).lower() for i in range(depth + 1)]
        order = []
        for i, lvl in enumerate(levels[: depth + 1]):
            for c in lvl[0]:
                # the null group placed as find places nulls, and the same on SQLite and PostgreSQL
                order.append(c.desc().nulls_last() if direction[i] == "desc" else c.asc().nulls_first())
        stmt = sa.select(*keys, *agg_cols).select_from(qb.from_).where(where).group_by(*keys).order_by(*order)
        rows = conn.execute(stmt).all()
        per_level.append([(tuple(getattr(r, c.name) for c in keys), r) for r in rows])

    refs = set()
    for depth, (_cols, r, kind) in enumerate(levels):
        if r.field.storage is Storage.LINK and kind != "entitytype":
            offset = sum(len(lv[0]) for lv in levels[:depth])
            for key, _row in per_level[depth]:
                t, i = key[offset], key[offset + 1]
                if t is not None and i is not None:
                    refs.add((t, i))
    resolved = names.resolve(conn, catalog, schema, refs, retired=True)

    def group_value(depth: int, key: tuple[Any, ...]) -> tuple[str, Any]:
        _cols, r, kind = levels[depth]
        offset = sum(len(lv[0]) for lv in levels[:depth])
        if r.field.storage is Storage.LINK and kind != "entitytype":
            t, i = key[offset], key[offset + 1]
            if t is None or i is None:
                return "", None
            info = resolved.get((t, i))
            link = info[0].link() if info else {"type": t, "id": i, "name": None}
            return str(link["name"] or ""), link
        v = key[offset]
        if kind == "exact" and r.field.storage is Storage.COLUMN:
            v = from_storage(r.field, v)
            if isinstance(v, dt.datetime):
                return v.strftime("%Y-%m-%d %H:%M:%S"), v
        return ("" if v is None else str(v)), v

    def build(depth: int, prefix: tuple[Any, ...]) -> list[dict[str, Any]]:
        width = sum(len(lv[0]) for lv in levels[: depth + 1])
        groups = []
        for key, row in per_level[depth]:
            if key[: len(prefix)] != prefix:
                continue
            name, value = group_value(depth, key)
            g: dict[str, Any] = {"group_name": name, "group_value": value, "summaries": values(row)}
            if depth + 1 < len(levels):
                g["groups"] = build(depth + 1, key[:width])
            groups.append(g)
        return groups

    result["groups"] = build(0, ())
    return result
