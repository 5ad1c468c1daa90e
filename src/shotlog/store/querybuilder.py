"""Compiling wire filters, sorts and field paths to SQLAlchemy Core.

Filters become SQL; rows are never loaded into Python to be filtered. A ``QueryBuilder`` starts
from one entity type's table (aliased ``t0``) and grows LEFT OUTER JOINs for deep paths such as
``entity.Shot.sg_sequence.Sequence.code`` (one join per distinct path prefix, shared between the
filters, the sorts and the selected fields). Multi-entity, reverse and tag fields are tested with
correlated ``EXISTS`` subqueries, so they never multiply rows.

Semantics decided here (documented in docs/python-api.md):

* a condition on a deep path matches only when every hop of the path resolves: ``entity.Shot.code
  is None`` does not match a Task whose entity is an Asset;
* every negative relation is the exact complement of its positive one, so rows with a null value
  match ``is_not``, ``not_in``, ``not_contains``...;
* text relations (contains, starts_with, ends_with, name_*) are case-insensitive; ``is`` is exact;
* a multi-entity field's links to retired entities are ignored, as reads drop them (``assets is
  None`` matches a shot whose only asset is retired); single-entity links are compared as stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from shotlog.errors import FilterError, ShotlogError
from shotlog.query.filters import Group
from shotlog.query.operands import (
    MAX_JOINS,
    MAX_SORTS,
    NEGATIVE,
    check_hops,
    column_value,
    link_value,
    one,
    pattern_text,
    type_name,
)
from shotlog.query.timewindow import calendar_window, relative_window
from shotlog.schema.datatypes import DATA_TYPES, Storage
from shotlog.schema.model import Schema
from shotlog.store.metafilters import META_PATHS, meta_condition
from shotlog.store.querymembers import Clause, MemberConditions, Resolved

__all__ = ["QueryBuilder", "Resolved"]

TableOf = Callable[[str], sa.Table]

_LINK_RELATIONS = DATA_TYPES["entity"].relations


_TIME_RELATIONS = (
    "in_last",
    "in_next",
    "in_calendar_day",
    "in_calendar_week",
    "in_calendar_month",
    "in_calendar_year",
)


class QueryBuilder(MemberConditions):
    def __init__(
        self, schema: Schema, table_of: TableOf, entity_type: str, now: dt.datetime, *, prefix: str = "t"
    ) -> None:
        self.schema = schema
        self.table_of = table_of
        self.entity_type = entity_type
        self.etype = schema.entity(entity_type)
        self.now = now
        self.prefix = prefix
        self.base: sa.FromClause = table_of(entity_type).alias(f"{prefix}0")
        self.from_: sa.FromClause = self.base
        self._joins: dict[str, tuple[sa.FromClause, Clause]] = {}
        self._counter = 0

    # -- paths ------------------------------------------------------------------------------------

    def _sub(self, entity_type: str, prefix: str) -> QueryBuilder:
        return QueryBuilder(self.schema, self.table_of, entity_type, self.now, prefix=prefix)

    def _alias(self, entity_type: str) -> sa.FromClause:
        self._counter += 1
        return self.table_of(entity_type).alias(f"{self.prefix}{self._counter}")

    def resolve(self, path: str) -> Resolved:
        """A field path (``code`` or ``entity.Shot.sg_sequence.Sequence.code``) to its field and table."""
        if not isinstance(path, str) or not path:
            raise FilterError(f"A field path must be a non-empty string, got {path!r}", value=path)
        check_hops(path)
        parts = path.split(".")
        if len(parts) % 2 == 0:
            raise FilterError(
                f"{self.entity_type}: bad field path {path!r}; deep paths look like field.EntityType.field",
                entity_type=self.entity_type,
                field=path,
            )
        owner_type, alias, guard = self.entity_type, self.base, None
        prefix = ""
        for i in range(0, len(parts) - 1, 2):
            name, target = parts[i], parts[i + 1]
            hop = self.schema.field(owner_type, name)
            if hop.storage is not Storage.LINK:
                raise FilterError(
                    f"{hop.qualified} ({hop.data_type}) cannot be followed in path {path!r}: "
                    "only single-entity fields can be",
                    entity_type=owner_type,
                    field=path,
                )
            if not self.schema.has_entity(target):
                raise FilterError(
                    f"Unknown entity type {target!r} in path {path!r}", field=path, value=target
                )
            if hop.valid_types and "*" not in hop.valid_types and target not in hop.valid_types:
                raise FilterError(
                    f"{hop.qualified} never links to {target} (valid types: {', '.join(hop.valid_types)}) "
                    f"in path {path!r}",
                    field=path,
                    value=target,
                )
            prefix = f"{prefix}.{name}.{target}"
            if prefix not in self._joins:
                if len(self._joins) >= MAX_JOINS:
                    raise FilterError(
                        f"{self.entity_type}: one query may follow at most {MAX_JOINS} distinct links; "
                        f"{path!r} would be one more",
                        entity_type=self.entity_type,
                        field=path,
                    )
                assert hop.type_column and hop.column
                joined = self._alias(target)
                onclause = sa.and_(alias.c[hop.type_column] == target, alias.c[hop.column] == joined.c.id)
                if self.schema.entity(target).retirable:
                    onclause = sa.and_(onclause, joined.c.retirement_date.is_(None))
                self.from_ = self.from_.outerjoin(joined, onclause)
                self._joins[prefix] = (joined, joined.c.id.is_not(None))
            alias, hop_guard = self._joins[prefix]
            guard = hop_guard if guard is None else sa.and_(guard, hop_guard)
            owner_type = target
        return Resolved(self.schema.field(owner_type, parts[-1]), alias, guard)

    # -- filters ----------------------------------------------------------------------------------

    def where(self, group: Group) -> Clause:
        clauses = [self._node(c) for c in group["conditions"]]
        if not clauses:
            return sa.true()
        return sa.and_(*clauses) if group["logical_operator"] == "and" else sa.or_(*clauses)

    def _node(self, node: Mapping[str, Any]) -> Clause:
        if "conditions" in node:
            return self.where(node)  # type: ignore[arg-type]
        try:
            return self._condition(node["path"], node["relation"], list(node["values"]))
        except FilterError:
            raise
        except ShotlogError as exc:  # unknown field or type inside a filter
            raise FilterError(
                f"Bad filter {[node['path'], node['relation'], *node['values']]!r}: {exc}"
            ) from exc

    def _condition(self, path: str, relation: str, values: list[Any]) -> Clause:
        check_hops(path)
        if path.startswith("$FROM$"):
            return self._from_condition(path, relation, values)
        if self.entity_type == "EventLogEntry" and path in META_PATHS:
            return meta_condition(self.base.c.meta, path, relation, values)
        through = self._multi_hop(path)
        if through is not None:
            return self._through_members(*through, relation, values)
        r = self.resolve(path)
        f = r.field
        allowed = _LINK_RELATIONS if f.storage is Storage.REVERSE else f.dtype.relations
        if relation not in allowed:
            if not allowed:
                raise FilterError(
                    f"{f.qualified} is a {f.data_type} field and cannot be filtered on",
                    entity_type=f.entity_type,
                    field=path,
                )
            raise FilterError(
                f"Relation {relation!r} is not valid for {f.qualified} ({f.data_type}); "
                f"valid relations are {', '.join(allowed)}",
                entity_type=f.entity_type,
                field=path,
                value=relation,
            )
        if f.data_type == "image" and values != [None]:
            raise FilterError(
                f"{f.qualified} (image) can only be compared with None", field=path, value=values
            )
        positive = NEGATIVE.get(relation)
        if positive is not None:
            # NOT(x = v) is NULL, not TRUE, when x is NULL; coalesce makes the complement exact.
            clause = sa.not_(
                sa.func.coalesce(self._dispatch(r, path, positive, values), sa.false(), type_=sa.Boolean)
            )
        else:
            clause = self._dispatch(r, path, relation, values)
        return clause if r.guard is None else sa.and_(r.guard, clause)

    def _dispatch(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        storage = r.field.storage
        if storage is Storage.COLUMN:
            return self._column(r, path, relation, values)
        if storage is Storage.LINK:
            return self._link(r, path, relation, values)
        if storage in (Storage.MULTI, Storage.REVERSE):
            return self._members(r, path, relation, values)
        if storage is Storage.TAGS:
            return self._tags(r, path, relation, values)
        raise FilterError(f"{r.field.qualified} ({r.field.data_type}) cannot be filtered on", field=path)

    # Column fields ---------------------------------------------------------------------------------

    def _column(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        f = r.field
        col = r.alias.c[f.column or "id"]
        if relation == "is":
            v = column_value(f, path, relation, one(path, relation, values))
            if v is None:
                return col.is_(sa.false()) if f.data_type == "checkbox" else col.is_(None)
            return sa.and_(col == v)
        if relation == "in":
            items = [column_value(f, path, relation, v) for v in values]
            present = [v for v in items if v is not None]
            clause: Clause = col.in_(present) if present else sa.false()
            return sa.or_(clause, col.is_(None)) if None in items else clause
        if relation in ("less_than", "greater_than"):
            v = column_value(f, path, relation, one(path, relation, values))
            if v is None:
                raise FilterError(f"Filter [{path!r}, {relation!r}] needs a value, got None", field=path)
            return sa.and_(col < v) if relation == "less_than" else sa.and_(col > v)
        if relation == "between":
            if len(values) != 2:
                raise FilterError(
                    f"Filter [{path!r}, 'between'] expects [low, high], got {values!r}", field=path
                )
            lo, hi = (column_value(f, path, relation, v) for v in values)
            parts = [col.is_not(None)]
            if lo is not None:
                parts.append(col >= lo)
            if hi is not None:
                parts.append(col <= hi)
            return sa.and_(*parts)
        if relation in ("contains", "starts_with", "ends_with"):
            v = pattern_text(path, relation, one(path, relation, values))
            if relation == "contains":
                test = col.icontains(v, autoescape=True)
            elif relation == "starts_with":
                test = col.istartswith(v, autoescape=True)
            else:
                test = col.iendswith(v, autoescape=True)
            return sa.and_(col.is_not(None), test)
        if relation in _TIME_RELATIONS:
            window = calendar_window if relation.startswith("in_calendar") else relative_window
            try:
                lo, hi = window(relation, values, self.now)
            except FilterError as exc:  # the window knows the values, not which field they were for
                raise FilterError(
                    f"Filter [{path!r}, {relation!r}]: {exc}", field=path, value=values
                ) from exc
            if relation.startswith("in_calendar"):
                if f.dtype.kind == "date":
                    return sa.and_(col >= lo.date(), col < hi.date())
                return sa.and_(col >= lo, col < hi)
            if f.dtype.kind == "date":
                return sa.and_(col >= lo.date(), col <= hi.date())
            return sa.and_(col >= lo, col <= hi)
        raise FilterError(
            f"Relation {relation!r} is not supported on {f.qualified}", field=path, value=relation
        )

    # Single-entity links ---------------------------------------------------------------------------

    def _link(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        f = r.field
        assert f.type_column and f.column
        tcol, icol = r.alias.c[f.type_column], r.alias.c[f.column]
        if relation == "is":
            link = link_value(f, path, one(path, relation, values))
            return icol.is_(None) if link is None else sa.and_(tcol == link[0], icol == link[1])
        if relation == "in":
            links = [link_value(f, path, v) for v in values]
            return sa.or_(sa.false(), *self._pairs(tcol, icol, links))
        if relation == "type_is":
            t = one(path, relation, values)
            return icol.is_(None) if t is None else tcol == type_name(self.schema, path, t)
        return self._name_relation(path, relation, values, tcol, icol, f.valid_types)

    def _pairs(
        self,
        tcol: sa.ColumnElement[Any],
        icol: sa.ColumnElement[Any],
        links: Sequence[tuple[str, int] | None],
    ) -> list[Clause]:
        by_type: dict[str, list[int]] = {}
        out: list[Clause] = []
        for link in links:
            if link is None:
                out.append(icol.is_(None))
            else:
                by_type.setdefault(link[0], []).append(link[1])
        out.extend(sa.and_(tcol == t, icol.in_(ids)) for t, ids in by_type.items())
        return out

    def _name_relation(
        self,
        path: str,
        relation: str,
        values: list[Any],
        tcol: sa.ColumnElement[Any],
        icol: sa.ColumnElement[Any],
        valid_types: tuple[str, ...],
    ) -> Clause:
        """name_contains / name_is / ...: a test on the linked entity's display field."""
        text = pattern_text(path, relation, one(path, relation, values))
        clauses: list[Clause] = []
        for t in self._target_types(valid_types):
            target = self._alias(t)
            display = target.c[self.schema.field(t, self.schema.display_field(t)).column or "id"]
            test = {
                "name_contains": lambda c: c.icontains(text, autoescape=True),
                "name_starts_with": lambda c: c.istartswith(text, autoescape=True),
                "name_ends_with": lambda c: c.iendswith(text, autoescape=True),
                "name_is": lambda c: c == text,
            }[relation](display)
            sub = sa.select(target.c.id).where(test)
            if self.schema.entity(t).retirable:
                sub = sub.where(target.c.retirement_date.is_(None))
            clauses.append(sa.and_(tcol == t, icol.in_(sub)))
        return sa.or_(sa.false(), *clauses)

    def _target_types(self, valid_types: tuple[str, ...]) -> list[str]:
        types = [t for t in valid_types if t != "*" and self.schema.has_entity(t)]
        if not types or "*" in valid_types:
            types = [t for t in self.schema.types if t != "EventLogEntry"]
        return types

    # -- sorting ----------------------------------------------------------------------------------

    def order_by(self, sorts: list[Any] | None) -> list[sa.ColumnElement[Any]]:
        if sorts is not None and not isinstance(sorts, list | tuple):
            raise FilterError(f"order must be a list of sorts, got {sorts!r}", value=sorts)
        if sorts and len(sorts) > MAX_SORTS:
            raise FilterError(f"At most {MAX_SORTS} sort fields are allowed, got {len(sorts)}")
        out: list[sa.ColumnElement[Any]] = []
        has_id = False
        for s in sorts or []:
            if not isinstance(s, Mapping):
                raise FilterError(f"A sort must be a dict with field_name and direction, got {s!r}", value=s)
            path = s.get("field_name", s.get("column"))
            direction = str(s.get("direction", "asc")).lower()
            if direction not in ("asc", "desc"):
                raise FilterError(
                    f"Sort direction must be 'asc' or 'desc', got {s.get('direction')!r}", value=s
                )
            if not isinstance(path, str):
                raise FilterError(f"A sort needs a field_name, got {s!r}", value=s)
            try:
                r = self.resolve(path)
            except FilterError:
                raise
            except ShotlogError as exc:  # unknown field or type: the same error a filter gives
                raise FilterError(f"Bad sort on {path!r}: {exc}", field=path) from exc
            f = r.field
            if f.storage is Storage.LINK:
                assert f.type_column and f.column
                cols = [r.alias.c[f.type_column], r.alias.c[f.column]]
            elif f.storage is Storage.COLUMN and f.dtype.sortable:
                cols = [r.alias.c[f.column or "id"]]
            else:
                raise FilterError(f"{f.qualified} ({f.data_type}) cannot be sorted on", field=path)
            if path == "id":
                has_id = True
            for c in cols:
                # NULLs first ascending, last descending: the same on SQLite and PostgreSQL.
                if path == "id":
                    out.append(c.asc() if direction == "asc" else c.desc())
                else:
                    out.append(c.asc().nulls_first() if direction == "asc" else c.desc().nulls_last())
        if not has_id:
            out.append(self.base.c.id.asc())  # a stable order makes pages stable
        return out
