"""Following entities, and the text search of the Python API (part of ``Shotlog``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shotlog.errors import NotFound, ValidationError
from shotlog.query.filters import to_wire
from shotlog.store import follows
from shotlog.store.catalog import Catalog
from shotlog.store.database import Database
from shotlog.store.names import resolve as resolve_names

__all__ = ["Following"]


class Following:
    """``follow``, ``unfollow``, ``followers``, ``following`` and ``text_search``."""

    db: Database
    catalog: Catalog
    find: Callable[..., list[dict[str, Any]]]
    #: Visibility's: those of some entities the user's permission rule set lets them see
    _visible_refs: Callable[[list[tuple[str, int]]], set[tuple[str, int]]]

    def follow(self, user: Mapping[str, Any], entity: Mapping[str, Any]) -> dict[str, Any]:
        u, e = self._existing(user, "user"), self._existing(entity, "entity")
        with self.db.write() as conn:
            follows.follow(conn, u, e)
        return {"followed": True, "user": dict(user), "entity": dict(entity)}

    def unfollow(self, user: Mapping[str, Any], entity: Mapping[str, Any]) -> dict[str, Any]:
        u, e = self._existing(user, "user"), self._existing(entity, "entity")
        with self.db.write() as conn:
            follows.unfollow(conn, u, e)
        return {"unfollowed": True, "user": dict(user), "entity": dict(entity)}

    def followers(self, entity: Mapping[str, Any]) -> list[dict[str, Any]]:
        e = self._existing(entity, "entity")
        if not self._visible_refs([e]):  # an entity the user may not see has no followers to show
            raise NotFound(e[0], e[1])
        with self.db.read() as conn:
            users = follows.followers(conn, e)
            info = resolve_names(conn, self.catalog, self.catalog.schema, users)
        return [info[u][0].meta_item() for u in users if u in info]

    def following(
        self,
        user: Mapping[str, Any],
        project: Mapping[str, Any] | None = None,
        entity_type: str | None = None,
    ) -> list[dict[str, Any]]:
        u = self._existing(user, "user")
        scope = None if project is None else follows.link_ref(project, "project")
        if entity_type is not None and not isinstance(entity_type, str):
            raise ValidationError(
                f"entity_type must be a string, got {entity_type!r}", parameter="entity_type"
            )
        with self.db.read() as conn:
            found = follows.following(conn, u, entity_type)
            info = resolve_names(conn, self.catalog, self.catalog.schema, found)
        visible = self._visible_refs([ref for ref in found if ref in info])
        out = []
        for ref in found:
            if ref not in info or ref not in visible:
                continue
            if scope is not None and info[ref][1] != scope:
                continue
            out.append({"type": ref[0], "id": ref[1]})
        return out

    def _existing(self, link: Mapping[str, Any], what: str) -> tuple[str, int]:
        ref = follows.link_ref(dict(link) if isinstance(link, Mapping) else link, what)
        self.catalog.schema.entity(ref[0])
        if not -(2**63) <= ref[1] < 2**63:
            raise NotFound(ref[0], ref[1])  # no row can have it; the driver would fail on the value
        with self.db.read() as conn:
            if ref not in resolve_names(conn, self.catalog, self.catalog.schema, [ref]):
                raise NotFound(ref[0], ref[1])
        return ref

    def text_search(
        self,
        text: str,
        entity_types: Mapping[str, Any],
        project_ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Entities whose display name contains every word of ``text`` (at least 3 characters)."""
        if not isinstance(text, str) or len(text.strip()) < 3:
            raise ValidationError(f"text_search needs at least 3 characters, got {text!r}", value=text)
        if not isinstance(entity_types, Mapping) or not entity_types:
            raise ValidationError("text_search needs entity_types: {EntityType: filters}", value=entity_types)
        if project_ids is not None and not (
            isinstance(project_ids, list | tuple) and all(type(p) is int for p in project_ids)
        ):
            raise ValidationError(
                f"text_search project_ids must be a list of Project ids, got {project_ids!r}"[:300],
                field="project_ids",
            )
        if limit is not None and not (type(limit) is int and 0 <= limit < 2**31):
            raise ValidationError(
                f"text_search max_results must be a count, got {limit!r}"[:300], field="max_results"
            )
        terms = [t.lower() for t in text.split()]
        matches: list[dict[str, Any]] = []
        schema = self.catalog.schema
        for etype_name, extra in entity_types.items():
            etype = schema.entity(etype_name)
            group = to_wire(extra or [])
            conditions: list[Any] = [
                {"path": etype.display_field, "relation": "contains", "values": [t]} for t in terms
            ]
            if group["conditions"]:
                conditions.append(group)
            if project_ids and "project" in schema.fields[etype_name]:
                conditions.append(
                    {
                        "path": "project",
                        "relation": "in",
                        "values": [{"type": "Project", "id": p} for p in project_ids],
                    }
                )
            fields = [etype.display_field, "project", "image"]
            if "sg_status_list" in schema.fields[etype_name]:
                fields.append("sg_status_list")
            rows = self.find(
                etype_name, {"logical_operator": "and", "conditions": conditions}, fields, limit=limit or 0
            )
            for r in rows:
                project = r.get("project")
                matches.append(
                    {
                        "id": r["id"],
                        "type": etype_name,
                        "name": r.get(etype.display_field),
                        "project_id": project["id"] if project else None,
                        "image": r.get("image"),
                        "links": [],
                        "status": r.get("sg_status_list"),
                    }
                )
        if limit:
            matches = matches[:limit]
        return {"matches": matches, "terms": terms}
