"""The api3 schema methods: ``schema_read`` and its family, with FPTR's per-project visibility."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlog.server.api3.args import Context, Handler, arguments, entity_type_of
from shotlog.server.api3.wire import ProtocolError
from shotlog.site import field_visibility

__all__ = ["SCHEMA_METHODS"]


def _project(a: Mapping[str, Any], method: str) -> int | None:
    """The id of the ``project`` passed ({"type": "Project", "id": 0} included), its shape checked."""
    project = a.get("project")
    if project is None:
        return None
    pid = project.get("id") if isinstance(project, Mapping) else None
    if (
        not isinstance(project, Mapping)
        or project.get("type") != "Project"
        or isinstance(pid, bool)
        or not isinstance(pid, int)
    ):
        raise ProtocolError(f"API {method}() 'project' must be a Project link {{type, id}}, got {project!r}")
    return pid


def _schema_read(ctx: Context, args: Any) -> Any:
    pid = _project(arguments(args, "schema_read"), "schema_read")
    if pid is None:
        return ctx.sg.schema_read()
    # through schema_read, which leaves out the fields the caller's permission set hides
    read = ctx.sg.schema_read()
    return {t: field_visibility.describe(ctx.sg, t, fields, pid) for t, fields in read.items()}


def _schema_entity_read(ctx: Context, args: Any) -> Any:
    _project(arguments(args, "schema_entity_read"), "schema_entity_read")
    return ctx.sg.schema_entity_read()


def _schema_field_read(ctx: Context, args: Any) -> Any:
    a = arguments(args, "schema_field_read")
    entity_type, name = entity_type_of(a, "schema_field_read"), a.get("field_name")
    if name is not None and not isinstance(name, str):
        raise ProtocolError(f"API schema_field_read() 'field_name' must be a field name, got {name!r}")
    found = ctx.sg.schema_field_read(entity_type, name)
    pid = _project(a, "schema_field_read")
    if pid is None:
        return found
    return field_visibility.describe(ctx.sg, ctx.sg.catalog.schema.entity(entity_type).name, found, pid)


def _properties(raw: Any, method: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, list):
        raise ProtocolError(f"API {method}() properties must be a list of {{property_name, value}}")
    out = {}
    for p in raw:
        if not isinstance(p, Mapping) or not isinstance(p.get("property_name"), str):
            raise ProtocolError(f"API {method}() each property needs property_name and value, got {p!r}")
        out[p["property_name"]] = p.get("value")
    return out


def _schema_field_create(ctx: Context, args: Any) -> Any:
    a = arguments(args, "schema_field_create")
    props = _properties(a.get("properties"), "schema_field_create")
    display = props.pop("name", None)
    data_type = a.get("data_type")
    if not isinstance(data_type, str):
        raise ProtocolError(f"API schema_field_create() needs data_type, got {data_type!r}")
    if not isinstance(display, str):
        raise ProtocolError("API schema_field_create() needs a 'name' property (the display name)")
    return ctx.sg.schema_field_create(entity_type_of(a, "schema_field_create"), data_type, display, props)


def _schema_field_update(ctx: Context, args: Any) -> Any:
    a = arguments(args, "schema_field_update")
    name = a.get("field_name")
    if not isinstance(name, str):
        raise ProtocolError(f"API schema_field_update() needs field_name, got {name!r}")
    props = _properties(a.get("properties"), "schema_field_update")
    entity_type = entity_type_of(a, "schema_field_update")
    pid = _project(a, "schema_field_update")
    if pid and "visible" in props:
        # with a project, visibility is that project's own; other properties are the site's
        field_visibility.set_visible(ctx.sg, entity_type, name, pid, props.pop("visible"))
        if not props:
            return True
    return ctx.sg.schema_field_update(entity_type, name, props)


def _schema_field_delete(ctx: Context, args: Any) -> Any:
    a = arguments(args, "schema_field_delete")
    name = a.get("field_name")
    if not isinstance(name, str):
        raise ProtocolError(f"API schema_field_delete() needs field_name, got {name!r}")
    return ctx.sg.schema_field_delete(entity_type_of(a, "schema_field_delete"), name)


def _schema_entity_create(ctx: Context, args: Any) -> Any:
    a = arguments(args, "schema_entity_create")
    props = _properties(a.get("properties"), "schema_entity_create")
    display = props.get("name")
    if display is not None and not isinstance(display, str):
        raise ProtocolError(f"API schema_entity_create() 'name' must be text, got {display!r}")
    return ctx.sg.schema_entity_create(entity_type_of(a, "schema_entity_create"), display)


SCHEMA_METHODS: dict[str, Handler] = {
    "schema_read": _schema_read,
    "schema_entity_read": _schema_entity_read,
    "schema_field_read": _schema_field_read,
    "schema_field_create": _schema_field_create,
    "schema_field_update": _schema_field_update,
    "schema_field_delete": _schema_field_delete,
    "schema_entity_create": _schema_entity_create,
}
