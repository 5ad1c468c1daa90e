"""``shotlog schema``: look at entity types and fields."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from shotlog.cli.common import database_option, fail, open_store
from shotlog.errors import ShotlogError


@click.group()
def schema() -> None:
    """Show entity types and fields."""


@schema.command("types")
@database_option
def types_cmd(database: str) -> None:
    """List entity types."""
    sg = open_store(database)
    table = Table("entity type", "display name", "display field", "project")
    for name, etype in sorted(sg.catalog.schema.types.items()):
        table.add_row(name, etype.display_name, etype.display_field, "yes" if etype.project_scoped else "")
    Console().print(table)


@schema.command("fields")
@database_option
@click.argument("entity_type")
def fields_cmd(database: str, entity_type: str) -> None:
    """List the fields of ENTITY_TYPE."""
    sg = open_store(database)
    try:
        fields = sg.catalog.schema.fields_of(entity_type)
    except ShotlogError as exc:
        fail(str(exc))
        return
    table = Table("field", "data type", "display name", "valid types / values")
    for name, f in fields.items():
        extra = ", ".join(f.valid_types or f.valid_values)
        table.add_row(name, f.data_type + (" (reverse)" if f.reverse_of else ""), f.display_name, extra)
    Console().print(table)
