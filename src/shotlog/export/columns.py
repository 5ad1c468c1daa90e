"""The columns of an export: what a caller may ask for, and the row layout every source fills.

Sources yield plain tuples in one fixed layout (``ROW``): the stored columns of an event with the
display names of its links filled in, then one value per deep field (``entity.Shot.code``). The
formatters pick positions out of those tuples; nothing per row is a dict until JSON Lines needs one.

Column names follow the api3 fields of EventLogEntry. A link field asked for whole expands, in CSV,
into ``<field>.type``, ``<field>.id`` and ``<field>.name`` so spreadsheet users can sort and filter
on names while ids stay exact (``project`` has no ``.type``: it is always a Project). The parts may
also be asked for one by one (``entity.id``). Deep fields follow a link to one entity type:
``entity.Shot.code``, ``project.Project.sg_status``, ``user.HumanUser.login``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shotlog.export.query import ExportError

__all__ = [
    "ALL_COLUMNS",
    "DEFAULT_COLUMNS",
    "Column",
    "DeepField",
    "Layout",
    "parse_columns",
]

# -- the row layout ---------------------------------------------------------------------------------------
(
    ID,
    EVENT_TYPE,
    DESCRIPTION,
    ENTITY_TYPE,
    ENTITY_ID,
    ENTITY_NAME,
    PROJECT_ID,
    PROJECT_NAME,
    USER_TYPE,
    USER_ID,
    USER_NAME,
    ATTRIBUTE_NAME,
    META,  # JSON text (never decoded on the local path), or None
    SESSION_UUID,
    CREATED_AT,  # ISO 8601 UTC text: 2024-03-01T10:00:00Z
    CACHED_DISPLAY_NAME,
    IMAGE,
    FILMSTRIP_IMAGE,
    IMAGE_SOURCE_TYPE,
    IMAGE_SOURCE_ID,
    IMAGE_BLUR_HASH,
) = range(21)
BASE = 21

#: scalar field -> position
SCALARS = {
    "id": ID,
    "event_type": EVENT_TYPE,
    "description": DESCRIPTION,
    "attribute_name": ATTRIBUTE_NAME,
    "meta": META,
    "session_uuid": SESSION_UUID,
    "created_at": CREATED_AT,
    "cached_display_name": CACHED_DISPLAY_NAME,
    "image": IMAGE,
    "filmstrip_image": FILMSTRIP_IMAGE,
    "image_blur_hash": IMAGE_BLUR_HASH,
}
#: link field -> (type position or None when the type is fixed, id position, name position or None)
LINKS: dict[str, tuple[int | None, int, int | None]] = {
    "entity": (ENTITY_TYPE, ENTITY_ID, ENTITY_NAME),
    "project": (None, PROJECT_ID, PROJECT_NAME),
    "user": (USER_TYPE, USER_ID, USER_NAME),
    "image_source_entity": (IMAGE_SOURCE_TYPE, IMAGE_SOURCE_ID, None),
}
FIXED_TYPE = {"project": "Project"}

DEFAULT_COLUMNS = (
    "id",
    "created_at",
    "event_type",
    "description",
    "entity",
    "project",
    "user",
    "attribute_name",
    "meta",
    "session_uuid",
)
ALL_COLUMNS = (*DEFAULT_COLUMNS, *(n for n in SCALARS if n not in DEFAULT_COLUMNS), "image_source_entity")


@dataclass(frozen=True)
class DeepField:
    """``entity.Shot.code``: follow ``link`` when it points to ``entity_type``, read ``field`` there."""

    link: str
    entity_type: str
    field: str
    data_type: str

    @property
    def path(self) -> str:
        return f"{self.link}.{self.entity_type}.{self.field}"


@dataclass(frozen=True)
class Column:
    """One requested column. ``kind`` is ``scalar``, ``link``, ``part`` or ``deep``."""

    name: str
    kind: str
    #: scalar: (position,); link: (type, id, name) positions; part: (position,); deep: (position,)
    positions: tuple[int | None, ...]
    #: for a link whose type is fixed (project)
    fixed_type: str | None = None

    def csv_headers(self) -> list[str]:
        if self.kind != "link":
            return [self.name]
        type_pos, _, name_pos = self.positions
        headers = [] if type_pos is None else [f"{self.name}.type"]
        headers.append(f"{self.name}.id")
        if name_pos is not None:
            headers.append(f"{self.name}.name")
        return headers

    def csv_positions(self) -> list[int]:
        if self.kind != "link":
            assert self.positions[0] is not None
            return [self.positions[0]]
        return [p for p in self.positions if p is not None]


@dataclass(frozen=True)
class Layout:
    """The parsed columns and the deep fields the source must fill in (positions ``BASE + i``)."""

    columns: tuple[Column, ...]
    deep: tuple[DeepField, ...]

    def needs(self, position: int) -> bool:
        """Whether any column reads ``position`` (sources skip name lookups nobody asked for)."""
        return any(position in c.positions for c in self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


#: (entity_type, field) -> data type, or None when the type or field does not exist
FieldLookup = Callable[[str, str], "str | None"]

_NOT_EXPORTABLE = {"multi_entity", "addressing", "serializable", "password", "summary", "pivot_column"}


def parse_columns(spec: Sequence[str] | str | None, field_type: FieldLookup) -> Layout:
    """Check and resolve column names; raise ``ExportError`` naming the first unknown one.

    ``spec`` is a list of names or one comma-separated string; None or ``"default"`` means
    ``DEFAULT_COLUMNS`` and ``"all"`` every field of EventLogEntry.
    """
    if spec is None:
        names: list[str] = list(DEFAULT_COLUMNS)
    elif isinstance(spec, str):
        names = [n.strip() for n in spec.split(",") if n.strip()]
    else:
        names = [n.strip() if isinstance(n, str) else n for n in spec]
    if names == ["default"]:
        names = list(DEFAULT_COLUMNS)
    elif names == ["all"]:
        names = list(ALL_COLUMNS)
    if not names:
        raise ExportError("no columns given: name at least one (for example id,event_type)", option="columns")
    columns: list[Column] = []
    deep: list[DeepField] = []
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            raise ExportError(f"column names must be strings, got {name!r}", option="columns")
        if name in seen:
            raise ExportError(f"column {name!r} is listed twice", option="columns")
        seen.add(name)
        columns.append(_column(name, field_type, deep))
    return Layout(tuple(columns), tuple(deep))


def _column(name: str, field_type: FieldLookup, deep: list[DeepField]) -> Column:
    if name in SCALARS:
        return Column(name, "scalar", (SCALARS[name],))
    if name in LINKS:
        return Column(name, "link", LINKS[name], FIXED_TYPE.get(name))
    parts = name.split(".")
    if len(parts) == 2 and parts[0] in LINKS:
        type_pos, id_pos, name_pos = LINKS[parts[0]]
        pos = {"type": type_pos, "id": id_pos, "name": name_pos}.get(parts[1])
        if parts[0] in FIXED_TYPE and parts[1] == "type":
            raise ExportError(
                f"column {name!r}: {parts[0]} is always a {FIXED_TYPE[parts[0]]}", option="columns"
            )
        if pos is None:
            raise ExportError(
                f"unknown column {name!r}: {parts[0]} has the parts type, id and name", option="columns"
            )
        return Column(name, "part", (pos,))
    if len(parts) == 3 and parts[0] in ("entity", "project", "user"):
        link, entity_type, fname = parts
        if link == "project" and entity_type != "Project":
            raise ExportError(f"unknown column {name!r}: project links to Project only", option="columns")
        if link == "user" and entity_type not in ("HumanUser", "ApiUser"):
            raise ExportError(
                f"unknown column {name!r}: user links to HumanUser or ApiUser", option="columns"
            )
        data_type = field_type(entity_type, fname)
        if data_type is None:
            raise ExportError(
                f"unknown column {name!r}: {entity_type} has no field {fname!r}", option="columns"
            )
        if data_type in _NOT_EXPORTABLE:
            raise ExportError(
                f"column {name!r}: {data_type} fields cannot be exported through a link", option="columns"
            )
        deep.append(DeepField(link, entity_type, fname, data_type))
        return Column(name, "deep", (BASE + len(deep) - 1,))
    raise ExportError(
        f"unknown column {name!r}; columns are EventLogEntry fields ({', '.join(ALL_COLUMNS)}), "
        "their parts (entity.id) or linked fields (entity.Shot.code)",
        option="columns",
    )
