"""A custom field's visibility per project, as ``schema_field_update(..., project_entity)`` sets it
and the schema reads with a project show it. A project without a setting shows the site's value;
built-in fields are always visible and cannot be hidden."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shotlog.clock import utcnow_seconds
from shotlog.errors import NotFound, ValidationError
from shotlog.schema.describe import field_schema
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["describe", "overrides", "set_visible"]


def overrides(sg: Shotlog, project_id: int | None) -> dict[tuple[str, str], bool]:
    if not project_id:  # no project, or {"type": "Project", "id": 0}: the site's own values
        return {}
    with sg.db.read() as conn:
        return sitestate.project_visibility(conn, project_id)


def describe(
    sg: Shotlog, entity_type: str, names: Mapping[str, Any], project_id: int | None
) -> dict[str, Any]:
    """``schema_field_read`` answers for ``names`` of ``entity_type`` as ``project_id`` sees them."""
    fields = sg.catalog.schema.fields_of(entity_type)
    visible = overrides(sg, project_id)
    return {
        n: field_schema(fields[n], visible=visible.get((entity_type, n))) if n in fields else v
        for n, v in names.items()
    }


def set_visible(sg: Shotlog, entity_type: str, field_name: str, project_id: int, visible: Any) -> None:
    """Show or hide a custom field in one project."""
    if not isinstance(visible, bool):
        raise ValidationError(
            f"visible must be true or false, got {visible!r}", field="visible", value=visible
        )
    sg.catalog.refresh_if_unknown(entity_type, field_name)
    field = sg.catalog.schema.field(entity_type, field_name)
    if field.builtin:
        raise ValidationError(
            f"{entity_type}.{field_name} is a built-in field: its visibility cannot be changed",
            entity_type=entity_type,
            field=field_name,
        )
    if sg.find_one("Project", [["id", "is", project_id]]) is None:
        raise NotFound("Project", project_id)
    with sg.db.write() as conn:
        sitestate.set_project_visibility(
            conn, project_id, field.entity_type, field.name, visible, utcnow_seconds()
        )
