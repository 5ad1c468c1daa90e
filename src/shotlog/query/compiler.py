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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from shotlog.errors import FilterError, ShotlogError
from shotlog.query.filters import Group
from shotlog.query.timewindow import calendar_window, relative_window
from shotlog.schema.datatypes import DATA_TYPES, Storage
from shotlog.schema.model import Field, Schema
from shotlog.store.tables import entity_links, entity_tags
from shotlog.values import to_storage_datetime

__all__ = ["MAX_JOINS", "MAX_PATH_HOPS", "MAX_PATTERN_LENGTH", "MAX_SORTS", "QueryBuilder", "Resolved"]

MAX_SORTS = 100
#: links a field path may follow (``entity.Shot.sg_sequence.Sequence.code`` follows two): each hop
#: is a join or a nested subquery, and SQLite's parser overflows its stack near twenty of them
MAX_PATH_HOPS = 8
#: distinct linked paths one query may join (SQLite refuses a join of more than 64 tables)
MAX_JOINS = 48
#: characters of a contains/starts_with/ends_with/name_* text: SQLite refuses to evaluate a LIKE
#: pattern over 50,000 bytes, and escaping doubles each % and _ (4 bytes a character at worst)
MAX_PATTERN_LENGTH = 10_000

TableOf = Callable[[str], sa.Table]
Clause = ColumnElement[bool]

_LINK_RELATIONS = DATA_TYPES["entity"].relations
_NEGATIVE = {
    "is_not": "is",
    "not_in": "in",
    "not_contains": "contains",
    "not_between": "between",
    "not_in_last": "in_last",
    "not_in_next": "in_next",
    "type_is_not": "type_is",
    "name_not_contains": "name_contains",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _is_int(value: object) -> bool:
    """An integer the database can bind: larger ones are a driver error, not an empty result."""
    return isinstance(value, int) and not isinstance(value, bool) and _INT_MIN <= value <= _INT_MAX


def _is_text(value: object) -> bool:
    # PostgreSQL rejects NUL in text parameters and neither driver can encode an unpaired
    # surrogate: both are the caller's mistake, on both backends.
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _cut(value: object, limit: int = 200) -> str:
    """``repr(value)`` cut short, so that a fault does not echo a huge value back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_hops(path: object) -> None:
    """Refuse a path that follows more than ``MAX_PATH_HOPS`` links (the database would fail on it)."""
    if isinstance(path, str) and path.count(".") > 2 * MAX_PATH_HOPS:
        raise FilterError(
            f"Field path {path[:200]!r} follows more than {MAX_PATH_HOPS} links",
            field=path[:200],
        )


_TIME_RELATIONS = (
    "in_last",
    "in_next",
    "in_calendar_day",
    "in_calendar_week",
    "in_calendar_month",
    "in_calendar_year",
)


@dataclass(frozen=True, slots=True)
class Resolved:
    field: Field
    alias: sa.FromClause
    #: true when every join on the way matched (None for fields of the base type)
    guard: Clause | None


class QueryBuilder:
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

    def _alias(self, entity_type: str) -> sa.FromClause:
        self._counter += 1
        return self.table_of(entity_type).alias(f"{self.prefix}{self._counter}")

    def resolve(self, path: str) -> Resolved:
        """A field path (``code`` or ``entity.Shot.sg_sequence.Sequence.code``) to its field and table."""
        if not isinstance(path, str) or not path:
            raise FilterError(f"A field path must be a non-empty string, got {path!r}", value=path)
        _check_hops(path)
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
        _check_hops(path)
        if path.startswith("$FROM$"):
            return self._from_condition(path, relation, values)
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
        positive = _NEGATIVE.get(relation)
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

    def _value(self, f: Field, path: str, relation: str, value: Any) -> Any:
        if value is None:
            return None
        kind = "int" if f.name == "id" else f.dtype.kind
        ok = True
        if kind in ("str", "json"):
            ok = _is_text(value)
        elif kind == "int":
            if isinstance(value, float) and value.is_integer():  # as the writer accepts 10.0 for 10
                value = int(value)
            ok = _is_int(value)
        elif kind == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "date":
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            # Same spelling the writer accepts: fromisoformat alone would also take "20240229".
            ok = isinstance(value, str) and _DATE.fullmatch(value) is not None
            if ok:
                try:
                    return dt.date.fromisoformat(value)
                except ValueError:
                    ok = False
        elif kind == "datetime":
            try:
                return to_storage_datetime(value)
            except (ShotlogError, OverflowError, ValueError):  # also years out of range after a shift
                ok = False
        if not ok:
            raise FilterError(
                f"Filter [{path!r}, {relation!r}]: {value!r} is not a valid value for "
                f"{f.qualified} ({f.data_type})",
                entity_type=f.entity_type,
                field=path,
                value=value,
            )
        return value

    def _text(self, path: str, relation: str, value: Any) -> str:
        """The text of a pattern relation (contains, starts_with, name_is...)."""
        if not _is_text(value):
            raise FilterError(
                f"Filter [{path!r}, {relation!r}] expects text, got {_cut(value)}", field=path, value=value
            )
        if len(value) > MAX_PATTERN_LENGTH:
            raise FilterError(
                f"Filter [{path!r}, {relation!r}]: the text is {len(value)} characters long; "
                f"at most {MAX_PATTERN_LENGTH} are allowed",
                field=path,
            )
        return str(value)

    def _one(self, path: str, relation: str, values: list[Any]) -> Any:
        if len(values) != 1:
            raise FilterError(
                f"Filter [{path!r}, {relation!r}] expects one value, got {values!r}", field=path, value=values
            )
        return values[0]

    def _column(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        f = r.field
        col = r.alias.c[f.column or "id"]
        if relation == "is":
            v = self._value(f, path, relation, self._one(path, relation, values))
            if v is None:
                return col.is_(sa.false()) if f.data_type == "checkbox" else col.is_(None)
            return sa.and_(col == v)
        if relation == "in":
            items = [self._value(f, path, relation, v) for v in values]
            present = [v for v in items if v is not None]
            clause: Clause = col.in_(present) if present else sa.false()
            return sa.or_(clause, col.is_(None)) if None in items else clause
        if relation in ("less_than", "greater_than"):
            v = self._value(f, path, relation, self._one(path, relation, values))
            if v is None:
                raise FilterError(f"Filter [{path!r}, {relation!r}] needs a value, got None", field=path)
            return sa.and_(col < v) if relation == "less_than" else sa.and_(col > v)
        if relation == "between":
            if len(values) != 2:
                raise FilterError(
                    f"Filter [{path!r}, 'between'] expects [low, high], got {values!r}", field=path
                )
            lo, hi = (self._value(f, path, relation, v) for v in values)
            parts = [col.is_not(None)]
            if lo is not None:
                parts.append(col >= lo)
            if hi is not None:
                parts.append(col <= hi)
            return sa.and_(*parts)
        if relation in ("contains", "starts_with", "ends_with"):
            v = self._text(path, relation, self._one(path, relation, values))
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

    def _link_value(self, f: Field, path: str, value: Any) -> tuple[str, int] | None:
        if value is None:
            return None
        if isinstance(value, Mapping) and isinstance(value.get("type"), str) and _is_int(value.get("id")):
            return (value["type"], value["id"])
        raise FilterError(
            f"Filter on {path!r}: expected an entity link {{'type': ..., 'id': ...}} or None, got {value!r}",
            entity_type=f.entity_type,
            field=path,
            value=value,
        )

    def _link(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        f = r.field
        assert f.type_column and f.column
        tcol, icol = r.alias.c[f.type_column], r.alias.c[f.column]
        if relation == "is":
            link = self._link_value(f, path, self._one(path, relation, values))
            return icol.is_(None) if link is None else sa.and_(tcol == link[0], icol == link[1])
        if relation == "in":
            links = [self._link_value(f, path, v) for v in values]
            return sa.or_(sa.false(), *self._pairs(tcol, icol, links))
        if relation == "type_is":
            t = self._one(path, relation, values)
            return icol.is_(None) if t is None else tcol == self._type_name(path, t)
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

    def _type_name(self, path: str, value: Any) -> str:
        if not isinstance(value, str):
            raise FilterError(
                f"Filter on {path!r}: expected an entity type name, got {value!r}", field=path, value=value
            )
        if not self.schema.has_entity(value):
            raise FilterError(f"Filter on {path!r}: unknown entity type {value!r}", field=path, value=value)
        return value

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
        text = self._text(path, relation, self._one(path, relation, values))
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

    def _live(
        self, tcol: sa.ColumnElement[Any], icol: sa.ColumnElement[Any], valid_types: tuple[str, ...]
    ) -> Clause:
        """The link points at an entity that is not retired."""
        clauses: list[Clause] = []
        for t in self._target_types(valid_types):
            if not self.schema.entity(t).retirable:
                clauses.append(tcol == t)
                continue
            target = self._alias(t)
            live = sa.select(target.c.id).where(target.c.retirement_date.is_(None))
            clauses.append(sa.and_(tcol == t, icol.in_(live)))
        return sa.or_(sa.false(), *clauses)

    # Multi-entity and reverse fields -----------------------------------------------------------------

    def members(self, r: Resolved) -> tuple[sa.Select[Any], sa.ColumnElement[Any], sa.ColumnElement[Any]]:
        """The linked entities of a multi-entity or reverse field: (select, type expr, id expr)."""
        f, owner = r.field, r.alias
        if f.storage is Storage.MULTI:
            el = entity_links.alias(f"{self.prefix}l{self._next()}")
            # Reads drop links to retired entities (FPTR retires the connection with the entity), so
            # filters must not see them either: `assets is None` matches a list that reads as [].
            stmt = (
                sa.select(sa.literal(1))
                .select_from(el)
                .where(
                    el.c.field == f.qualified,
                    el.c.src_id == owner.c.id,
                    self._live(el.c.dst_type, el.c.dst_id, f.valid_types),
                )
            )
            return stmt, el.c.dst_type, el.c.dst_id
        source_type, source_name = f.reverse_source()
        source = self.schema.field(source_type, source_name)
        src = self._alias(source_type)
        live = src.c.retirement_date.is_(None) if self.schema.entity(source_type).retirable else sa.true()
        if source.storage is Storage.LINK:
            assert source.type_column and source.column
            stmt = (
                sa.select(sa.literal(1))
                .select_from(src)
                .where(src.c[source.type_column] == f.entity_type, src.c[source.column] == owner.c.id, live)
            )
            return stmt, sa.literal(source_type), src.c.id
        el = entity_links.alias(f"{self.prefix}l{self._next()}")
        stmt = (
            sa.select(sa.literal(1))
            .select_from(el.join(src, src.c.id == el.c.src_id))
            .where(
                el.c.field == source.qualified,
                el.c.dst_type == f.entity_type,
                el.c.dst_id == owner.c.id,
                live,
            )
        )
        return stmt, sa.literal(source_type), el.c.src_id

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _members(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        f = r.field
        stmt, tcol, icol = self.members(r)
        if relation == "is":
            link = self._link_value(f, path, self._one(path, relation, values))
            if link is None:
                return sa.not_(stmt.exists())
            return stmt.where(tcol == link[0], icol == link[1]).exists()
        if relation == "in":
            links = [self._link_value(f, path, v) for v in values]
            present = [lk for lk in links if lk is not None]
            clause: Clause = stmt.where(sa.or_(sa.false(), *self._pairs(tcol, icol, present))).exists()
            return sa.or_(clause, sa.not_(stmt.exists())) if None in links else clause
        if relation == "type_is":
            t = self._one(path, relation, values)
            if t is None:
                return sa.not_(stmt.exists())
            return stmt.where(tcol == self._type_name(path, t)).exists()
        valid = f.valid_types
        return stmt.where(self._name_relation(path, relation, values, tcol, icol, valid)).exists()

    def _tags(self, r: Resolved, path: str, relation: str, values: list[Any]) -> Clause:
        f = r.field
        tg = entity_tags.alias(f"{self.prefix}g{self._next()}")
        stmt = (
            sa.select(sa.literal(1))
            .select_from(tg)
            .where(tg.c.field == f.qualified, tg.c.owner_id == r.alias.c.id)
        )
        for v in values:
            if v is not None and not _is_text(v):
                raise FilterError(f"Filter on {path!r}: tags are strings, got {v!r}", field=path, value=v)
        if relation in ("is", "name_id"):
            v = self._one(path, relation, values)
            return sa.not_(stmt.exists()) if v is None else stmt.where(tg.c.tag == v).exists()
        present = [v for v in values if v is not None]
        clause: Clause = stmt.where(tg.c.tag.in_(present)).exists() if present else sa.false()
        return sa.or_(clause, sa.not_(stmt.exists())) if None in values else clause

    # Reverse paths ----------------------------------------------------------------------------------

    def _from_condition(self, path: str, relation: str, values: list[Any]) -> Clause:
        """``$FROM$EventLogEntry.entity.id``: rows that some EventLogEntry's ``entity`` points at."""
        head, _, rest = path.partition(".")
        source_type = head[len("$FROM$") :]
        field_name, _, sub_path = rest.partition(".")
        if not sub_path:
            raise FilterError(f"Reverse path {path!r} must look like $FROM$Type.field.path", field=path)
        if not self.schema.has_entity(source_type):
            raise FilterError(f"Unknown entity type {source_type!r} in path {path!r}", field=path)
        link = self.schema.field(source_type, field_name)
        if link.storage is not Storage.LINK:
            raise FilterError(f"{link.qualified} is not a single-entity field (path {path!r})", field=path)
        assert link.type_column and link.column
        sub = QueryBuilder(
            self.schema, self.table_of, source_type, self.now, prefix=f"{self.prefix}f{self._next()}_"
        )
        cond = sub._condition(sub_path, relation, values)
        src = sub.base
        if self.schema.entity(source_type).retirable:  # a retired source links nothing, as in reverse fields
            cond = sa.and_(cond, src.c.retirement_date.is_(None))
        return (
            sa.select(sa.literal(1))
            .select_from(sub.from_)
            .where(src.c[link.type_column] == self.entity_type, src.c[link.column] == self.base.c.id, cond)
            .exists()
        )

    # Paths through multi-entity fields ----------------------------------------------------------------

    def _multi_hop(self, path: object) -> tuple[str, str, str] | None:
        """``users.HumanUser.login`` -> (``users``, ``HumanUser``, ``login``): the first multi-entity or
        reverse hop of a deep path, or None when every hop is a single-entity link."""
        if not isinstance(path, str):
            return None
        parts = path.split(".")
        if len(parts) < 3 or len(parts) % 2 == 0:
            return None  # resolve() words the error
        owner = self.entity_type
        for i in range(0, len(parts) - 1, 2):
            hop = self.schema.fields.get(owner, {}).get(parts[i])
            if hop is None or not self.schema.has_entity(parts[i + 1]):
                return None
            if hop.storage in (Storage.MULTI, Storage.REVERSE):
                return ".".join(parts[: i + 1]), parts[i + 1], ".".join(parts[i + 2 :])
            owner = parts[i + 1]
        return None

    def _through_members(
        self, head_path: str, target: str, rest: str, relation: str, values: list[Any]
    ) -> Clause:
        """A condition on the entities a multi-entity field links to: true when any linked ``target``
        matches (FPTR's ``users.HumanUser.login is x``); a negative relation is its exact complement."""
        head = self.resolve(head_path)
        f = head.field
        if f.valid_types and "*" not in f.valid_types and target not in f.valid_types:
            raise FilterError(
                f"{f.qualified} never links to {target} (valid types: {', '.join(f.valid_types)}) "
                f"in path {head_path}.{target}.{rest}",
                field=f"{head_path}.{target}.{rest}",
                value=target,
            )
        positive = _NEGATIVE.get(relation)
        sub = QueryBuilder(
            self.schema, self.table_of, target, self.now, prefix=f"{self.prefix}m{self._next()}_"
        )
        cond = sub._condition(rest, positive or relation, values)
        stmt, tcol, icol = self.members(head)
        matched: Clause = (
            stmt.select_from(sub.from_).where(tcol == target, icol == sub.base.c.id, cond).exists()
        )
        if positive is not None:
            matched = sa.not_(matched)
        return matched if head.guard is None else sa.and_(head.guard, matched)

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
