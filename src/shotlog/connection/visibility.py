"""What a view's user may read (part of ``Shotlog``): every find, page and summary of the view is
scoped by the user's permission rule set (``shotlog.access.reading``) before it reaches the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any

from sqlalchemy.engine import Connection

from shotlog.access.authority import SHOTLOG, Authority
from shotlog.access.reading import ReadAccess, hidden_path
from shotlog.errors import PermissionDenied
from shotlog.schema.model import Schema
from shotlog.store.catalog import Catalog
from shotlog.store.database import Database
from shotlog.store.mirrors import refuse_if_mirrored
from shotlog.store.permission_rules import read_access
from shotlog.store.reader import Query, count_rows, find

__all__ = ["Visibility"]

#: how long a view trusts its user's rules (the actor's own cache time): a changed set applies within it
ACCESS_TTL = 1.0


class Visibility:
    catalog: Catalog
    db: Database
    _user: tuple[str, int] | None
    _access: tuple[ReadAccess, float] | None = None

    def _read_access(self, conn: Connection) -> ReadAccess | None:
        """What this view's user may read; None for shotlog's own code, which reads everything."""
        if self._user is None:
            return None
        cached = self._access
        if cached is not None and time.monotonic() - cached[1] < ACCESS_TTL:
            return cached[0]
        access = read_access(conn, self.catalog, self._user)
        self._access = (access, time.monotonic())
        return access

    def _visible(self, conn: Connection, schema: Schema, q: Query, now: dt.datetime) -> list[dict[str, Any]]:
        """The rows of ``q`` this view's user may see, without the fields it may not."""
        access = self._read_access(conn)
        if access is None:
            return find(conn, self.catalog, schema, q, now)
        scoped = dataclasses.replace(q, filters=access.scope(q.entity_type, q.filters))
        return access.strip(q.entity_type, find(conn, self.catalog, schema, scoped, now))

    def _visible_count(self, conn: Connection, schema: Schema, q: Query, now: dt.datetime) -> int:
        scoped = dataclasses.replace(q, filters=self._scoped_filters(conn, q.entity_type, q.filters))
        return count_rows(conn, self.catalog, schema, scoped, now)

    def authority(self) -> Authority:
        """This view's user as ``shotlog.access.authority`` decides for it, with its rules read now."""
        if self._user is None:
            return SHOTLOG
        with self.db.read() as conn:
            access = read_access(conn, self.catalog, self._user)
        self._access = (access, time.monotonic())
        rules = access.rules
        return Authority(self._user[0], self._user[1], rules.code or None, rules=rules)

    def visible_projects(self) -> tuple[int, ...] | None:
        """The projects this view's user may see, or None when it sees every one (for readers that
        do not go through ``find``, such as the export's SQL)."""
        if self._user is None:
            return None
        with self.db.read() as conn:
            access = self._read_access(conn)
        return None if access is None else access.projects

    def _may_edit_schema(self, method: str) -> None:
        # a mirror's log holds only its site's events: a client's schema change would write events
        # of its own there, whose ids the site's next events could not follow (the mirror would stop)
        refuse_if_mirrored(self.db, by_client=self._user is not None)
        who = self.authority()
        if not who.can("edit_schema"):
            raise PermissionDenied(
                f"{method}: changing the schema needs a permission set that may edit it (Admin, API Admin); "
                f"{who.label()} may not"
            )

    def _scoped_filters(self, conn: Connection, entity_type: Any, filters: Any) -> Any:
        access = self._read_access(conn)
        return filters if access is None else access.scope(entity_type, filters)

    def _scoped_summary(
        self, conn: Connection, entity_type: Any, filters: Any, summary_fields: Any, grouping: Any
    ) -> Any:
        """``filters`` scoped as a find's, refusing a summary or a grouping on a hidden field (its
        maximum, or its groups' names, would show the values a find leaves out)."""
        access = self._read_access(conn)
        if access is None:
            return filters
        for what, items in (("summary_fields", summary_fields), ("grouping", grouping)):
            for item in items if isinstance(items, list) else ():
                path = item.get("field") if isinstance(item, dict) else None
                hidden = hidden_path(access.rules, entity_type, path) if isinstance(path, str) else None
                if hidden is not None:
                    raise PermissionDenied(
                        f"{what}: {hidden} is hidden from the permission set "
                        f"{access.rules.code or '(none)'}; it may not be summarized or grouped on",
                        entity_type=entity_type,
                        field=path,
                    )
        return access.scope(entity_type, filters)

    def _hidden_fields(self, entity_type: str) -> frozenset[str]:
        """The fields of ``entity_type`` this view's user may not read (none for shotlog itself)."""
        if self._user is None:
            return frozenset()
        with self.db.read() as conn:
            access = self._read_access(conn)
        return frozenset() if access is None else access.rules.hidden_fields(entity_type)

    def _visible_refs(self, refs: list[tuple[str, int]]) -> set[tuple[str, int]]:
        """Those of ``refs`` (entity type, id) this view's user may see."""
        if self._user is None:
            return set(refs)
        by_type: dict[str, list[int]] = {}
        for etype, eid in refs:
            by_type.setdefault(etype, []).append(eid)
        seen: set[tuple[str, int]] = set()
        for etype, ids in by_type.items():
            rows = self.find(etype, [["id", "in", ids]], ["id"])  # type: ignore[attr-defined]
            seen.update((etype, r["id"]) for r in rows)
        return seen
