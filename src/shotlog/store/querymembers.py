"""Conditions on multi-entity, reverse and tag fields, and on paths through them.

Part of the ``QueryBuilder`` (``store/querybuilder.py``), kept apart because these conditions are
correlated ``EXISTS`` subqueries over ``entity_links`` and ``entity_tags`` rather than joins: they
never multiply the rows of the query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from shotlog.errors import FilterError
from shotlog.query.operands import NEGATIVE, is_text, link_value, one, type_name
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Field, Schema
from shotlog.store.tables import entity_links, entity_tags

__all__ = ["Clause", "MemberConditions", "Resolved"]

Clause = ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class Resolved:
    field: Field
    alias: sa.FromClause
    #: true when every join on the way matched (None for fields of the base type)
    guard: Clause | None


class MemberConditions:
    """The member conditions of a query builder; the builder provides the attributes below."""

    schema: Schema
    table_of: Callable[[str], sa.Table]
    entity_type: str
    base: sa.FromClause
    now: dt.datetime
    prefix: str
    _counter: int

    from_: sa.FromClause

    def _alias(self, entity_type: str) -> sa.FromClause:
        raise NotImplementedError

    def _sub(self, entity_type: str, prefix: str) -> MemberConditions:
        """A builder of the same kind over ``entity_type``, its aliases named apart by ``prefix``."""
        raise NotImplementedError

    def _condition(self, path: str, relation: str, values: list[Any]) -> Clause:
        raise NotImplementedError

    def resolve(self, path: str) -> Resolved:
        raise NotImplementedError

    def _pairs(
        self,
        tcol: sa.ColumnElement[Any],
        icol: sa.ColumnElement[Any],
        links: Sequence[tuple[str, int] | None],
    ) -> list[Clause]:
        raise NotImplementedError

    def _name_relation(
        self,
        path: str,
        relation: str,
        values: list[Any],
        tcol: sa.ColumnElement[Any],
        icol: sa.ColumnElement[Any],
        valid_types: tuple[str, ...],
    ) -> Clause:
        raise NotImplementedError

    def _target_types(self, valid_types: tuple[str, ...]) -> list[str]:
        raise NotImplementedError

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
            link = link_value(f, path, one(path, relation, values))
            if link is None:
                return sa.not_(stmt.exists())
            return stmt.where(tcol == link[0], icol == link[1]).exists()
        if relation == "in":
            links = [link_value(f, path, v) for v in values]
            present = [lk for lk in links if lk is not None]
            clause: Clause = stmt.where(sa.or_(sa.false(), *self._pairs(tcol, icol, present))).exists()
            return sa.or_(clause, sa.not_(stmt.exists())) if None in links else clause
        if relation == "type_is":
            t = one(path, relation, values)
            if t is None:
                return sa.not_(stmt.exists())
            return stmt.where(tcol == type_name(self.schema, path, t)).exists()
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
            if v is not None and not is_text(v):
                raise FilterError(f"Filter on {path!r}: tags are strings, got {v!r}", field=path, value=v)
        if relation in ("is", "name_id"):
            v = one(path, relation, values)
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
        sub = self._sub(source_type, f"{self.prefix}f{self._next()}_")
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
        positive = NEGATIVE.get(relation)
        sub = self._sub(target, f"{self.prefix}m{self._next()}_")
        cond = sub._condition(rest, positive or relation, values)
        stmt, tcol, icol = self.members(head)
        matched: Clause = (
            stmt.select_from(sub.from_).where(tcol == target, icol == sub.base.c.id, cond).exists()
        )
        if positive is not None:
            matched = sa.not_(matched)
        return matched if head.guard is None else sa.and_(head.guard, matched)
