"""Permission rule sets in the database: the ``permission_rules`` table, loading the rule book,
seeding FPTR's default sets, and turning the old text ``permission_rule_set`` fields into links.

The sets themselves are ``PermissionRuleSet`` entities (a row per set, ``code`` its name); their
rules are rows of ``permission_rules`` keyed by the set's id. The decisions made from them are
``shotlog.access.rules``'; this module only reads and writes rows.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.access.reading import ReadAccess
from shotlog.access.rules import CAPABILITIES, DEFAULT_SETS, NOTHING, OPERATIONS, Rule, RuleSet
from shotlog.errors import ValidationError
from shotlog.schema.datatypes import Storage
from shotlog.schema.defaults import default_entity_types, default_fields
from shotlog.schema.model import Schema
from shotlog.store import tables as t
from shotlog.store.schemarows import assign_columns, field_from_row, field_row, type_from_row, type_row

__all__ = [
    "RULE_SET_TYPE",
    "RuleBook",
    "code_column",
    "convert_text_fields",
    "ensure_default_sets",
    "member_projects",
    "permission_rules",
    "read_access",
    "replace_rule",
    "rulebook",
]

RULE_SET_TYPE = "PermissionRuleSet"
_USER_TYPES = ("HumanUser", "ApiUser")
#: how long a process trusts the rules it loaded (another process's edit applies within it)
REFRESH_SECONDS = 1.0

# One row per rule. ``field`` is empty for a rule on the whole type, ``entity_type`` '*' for every
# type and empty for a capability of the site.
permission_rules = sa.Table(
    "permission_rules",
    t.metadata,
    sa.Column("rule_set_id", sa.BigInteger, nullable=False),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("field", sa.String(128), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("rule_set_id", "entity_type", "field", "operation"),
)


@dataclass(frozen=True, slots=True)
class _Loaded:
    by_id: dict[int, RuleSet]
    by_code: dict[str, RuleSet]
    #: the rows they were made from: a reload that reads the same keeps these sets
    rows: tuple[dict[int, tuple[str, str]], list[tuple[Any, ...]]]


class RuleBook:
    """Every rule set of one database, reloaded at most every ``REFRESH_SECONDS`` (and at once when
    this process changed a rule)."""

    def __init__(self) -> None:
        self._loaded: _Loaded | None = None
        self._at = 0.0
        self._lock = threading.Lock()
        self._reloading = threading.Lock()
        #: moved by ``forget``: a reload that began before it must not keep what it read
        self._generation = 0

    def forget(self) -> None:
        with self._lock:
            self._loaded = None
            self._generation += 1

    def refresh(self, db: Any) -> None:
        """Reload the sets in a read transaction of their own when they are half their time old.

        Every write calls it first (``Shotlog._write``): a reload inside the write would hold the
        writer for its queries (on SQLite, the one writer of every process), and the write then
        finds the sets fresh. One thread reloads while the others go on with the sets they have."""
        if self._loaded is not None and time.monotonic() - self._at < REFRESH_SECONDS / 2:
            return
        if not self._reloading.acquire(blocking=False):
            return
        try:
            with db.read() as conn:
                self._reload(conn)
        finally:
            self._reloading.release()

    def _load(self, conn: Connection) -> _Loaded:
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._at < REFRESH_SECONDS:
            return loaded
        return self._reload(conn)

    def _reload(self, conn: Connection) -> _Loaded:
        generation = self._generation
        sets = _set_rows(conn)
        rows = [tuple(r) for r in conn.execute(_ALL_RULES)]
        loaded = self._loaded
        if loaded is None or loaded.rows != (sets, rows):  # else the sets as they were: kept
            rules: dict[int, list[Rule]] = {}
            for set_id, entity_type, field_name, operation, allowed in rows:
                rules.setdefault(set_id, []).append(Rule(entity_type, field_name, operation, allowed))
            by_id = {
                i: RuleSet(code, kind, tuple(rules.get(i, ())), id=i) for i, (code, kind) in sets.items()
            }
            loaded = _Loaded(by_id, {s.code: s for s in by_id.values()}, (sets, rows))
        with self._lock:
            if self._generation == generation:
                self._loaded, self._at = loaded, time.monotonic()
        return loaded

    def by_id(self, conn: Connection, rule_set_id: int | None) -> RuleSet | None:
        if rule_set_id is None:
            return None
        loaded = self._load(conn)
        found = loaded.by_id.get(rule_set_id)
        if found is None and self._loaded is loaded:  # a set made a moment ago in another process
            self._loaded = None
            found = self._load(conn).by_id.get(rule_set_id)
        return found

    def by_code(self, conn: Connection, code: str) -> RuleSet | None:
        return self._load(conn).by_code.get(code)

    def all(self, conn: Connection) -> list[RuleSet]:
        return sorted(self._load(conn).by_id.values(), key=lambda s: (s.kind, s.id or 0))


_ALL_RULES = sa.select(
    permission_rules.c.rule_set_id,
    permission_rules.c.entity_type,
    permission_rules.c.field,
    permission_rules.c.operation,
    permission_rules.c.allowed,
)

_BOOKS: weakref.WeakKeyDictionary[Any, RuleBook] = weakref.WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def rulebook(catalog: Any) -> RuleBook:
    """The rule book of ``catalog``'s database, one per catalog (every view of a store shares it)."""
    with _BOOKS_LOCK:
        book = _BOOKS.get(catalog)
        if book is None:
            book = _BOOKS[catalog] = RuleBook()
        return book


def _set_rows(conn: Connection) -> dict[int, tuple[str, str]]:
    """Rule set id → (code, kind) of every active PermissionRuleSet."""
    table, cols = _rule_set_table(conn)
    if table is None:
        return {}
    stmt = sa.select(table.c.id, table.c[cols["code"]], table.c[cols["entity_type"]]).where(
        table.c.retirement_date.is_(None)
    )
    return {r[0]: (r[1] or "", r[2] or "HumanUser") for r in conn.execute(stmt)}


def _rule_set_table(conn: Connection) -> tuple[sa.Table | None, dict[str, str]]:
    """The PermissionRuleSet table as the schema rows place it, and its fields' columns (None
    before the type exists)."""
    row = (
        conn.execute(sa.select(t.schema_entity_types).where(t.schema_entity_types.c.name == RULE_SET_TYPE))
        .mappings()
        .first()
    )
    if row is None:
        return None, {}
    placed = [
        field_from_row(r)
        for r in conn.execute(
            sa.select(t.schema_fields).where(t.schema_fields.c.entity_type == RULE_SET_TYPE)
        ).mappings()
    ]
    etype = type_from_row(row)
    # The table object is made again only when the rows place it differently: a new one per reload
    # cost more than the reload's queries, and every statement on it was compiled afresh.
    key = (etype.table, etype.retirable, tuple((f.name, f.column, f.type_column, f.storage) for f in placed))
    made = _RULE_SET_TABLES.get(key)
    if made is None:
        if len(_RULE_SET_TABLES) > 16:  # a schema edited again and again: keep the newest only
            _RULE_SET_TABLES.clear()
        table = t.entity_table(sa.MetaData(), etype, placed)
        made = _RULE_SET_TABLES[key] = (table, {f.name: f.column for f in placed if f.column})
    return made


#: the PermissionRuleSet table objects ``_rule_set_table`` made, by how the schema rows place them
_RULE_SET_TABLES: dict[tuple[Any, ...], tuple[sa.Table, dict[str, str]]] = {}


def ensure_default_sets(conn: Connection, now: Any) -> None:
    """Create FPTR's default rule sets that are missing, each with its default rules; a set that
    exists keeps the rules it has (an admin may have changed them)."""
    table, cols = _rule_set_table(conn)
    if table is None:
        return
    have = {code for code, _kind in _set_rows(conn).values()}
    for s in DEFAULT_SETS:
        if s.code in have:
            continue
        values = {cols["code"]: s.code, cols["entity_type"]: s.kind}
        if "description" in cols:
            values[cols["description"]] = f"FPTR's default {s.code} permission group"
        for stamp in ("created_at", "updated_at"):
            if stamp in cols:
                values[cols[stamp]] = now
        new_id = conn.execute(sa.insert(table).values(**values)).inserted_primary_key
        assert new_id is not None
        write_rules(conn, int(new_id[0]), s.rules)


def write_rules(conn: Connection, rule_set_id: int, rules: Iterable[Rule]) -> None:
    rows = [
        {
            "rule_set_id": rule_set_id,
            "entity_type": r.entity_type,
            "field": r.field,
            "operation": r.operation,
            "allowed": r.allowed,
        }
        for r in rules
    ]
    if rows:
        conn.execute(sa.insert(permission_rules), rows)


def check_rule(rule: Rule) -> None:
    """Refuse a rule no decision would read, naming the part that is wrong."""
    if rule.entity_type == "":
        if rule.field or rule.operation not in CAPABILITIES:
            raise ValidationError(
                f"A site rule's operation must be one of {', '.join(CAPABILITIES)}, got {rule.operation!r}",
                field="operation",
                value=rule.operation,
            )
        return
    allowed_ops = ("read", "update") if rule.field else OPERATIONS
    if rule.operation not in allowed_ops:
        raise ValidationError(
            f"A rule on {rule.entity_type}{'.' + rule.field if rule.field else ''} takes an operation of "
            f"{', '.join(allowed_ops)}, got {rule.operation!r}",
            field="operation",
            value=rule.operation,
        )


def replace_rule(conn: Connection, rule_set_id: int, rule: Rule | None, key: tuple[str, str, str]) -> None:
    """Set (``rule``) or remove (None) the rule of ``key`` (entity type, field, operation)."""
    etype, fname, op = key
    conn.execute(
        sa.delete(permission_rules).where(
            permission_rules.c.rule_set_id == rule_set_id,
            permission_rules.c.entity_type == etype,
            permission_rules.c.field == fname,
            permission_rules.c.operation == op,
        )
    )
    if rule is not None:
        check_rule(rule)
        write_rules(conn, rule_set_id, [rule])


def code_column(catalog: Any, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The name (``code``) of the rule set a user row's ``permission_rule_set`` column links to,
    for a SELECT that reads users (the credentials' checks carry the name, not the id)."""
    schema = catalog.schema
    if not schema.has_entity(RULE_SET_TYPE):
        return column
    sets = catalog.table(RULE_SET_TYPE)
    code = sets.c[schema.fields[RULE_SET_TYPE]["code"].column or "code"]
    return sa.select(code).where(sets.c.id == column).scalar_subquery()


def read_access(conn: Connection, catalog: Any, user: tuple[str, int]) -> ReadAccess:
    """What ``user`` may read (``shotlog.access.reading``), its rule set read now."""
    schema = catalog.schema
    kind, user_id = user
    f = schema.fields.get(kind, {}).get("permission_rule_set")
    rules: RuleSet | None = None
    if f is not None and f.storage is Storage.LINK and f.column:
        table = catalog.table(kind)
        set_id = conn.execute(sa.select(table.c[f.column]).where(table.c.id == user_id)).scalar()
        rules = rulebook(catalog).by_id(conn, set_id) if isinstance(set_id, int) else None
    rules = rules or NOTHING
    projects = None if rules.can("see_all_projects") else tuple(member_projects(conn, kind, user_id))
    scoped = frozenset(
        n for n in schema.types if "project" in schema.fields.get(n, {}) and n != "EventLogEntry"
    )
    return ReadAccess(rules, projects, scoped, frozenset(schema.types))


#: the permission rule set a new user gets when the create names none (FPTR's defaults)
DEFAULT_RULE_SETS = {"HumanUser": "Artist", "ApiUser": "API Admin"}
_MISSING = object()


def user_rule_set(
    conn: Connection, catalog: Any, schema: Schema, user_type: str, data: Mapping[str, Any], *, created: bool
) -> Mapping[str, Any]:
    """A user's ``permission_rule_set`` as the write stores it: a set's name (shotlog also takes
    ``"Artist"`` for the link) becomes its link, a new user without one gets FPTR's default, and a
    set meant for the other kind of user is refused."""
    f = schema.fields.get(user_type, {}).get("permission_rule_set")
    if f is None or user_type not in DEFAULT_RULE_SETS or f.storage is not Storage.LINK:
        return data
    value = data.get("permission_rule_set", _MISSING)
    if value is _MISSING:
        if not created:
            return data
        value = DEFAULT_RULE_SETS[user_type]
    book = rulebook(catalog)
    if isinstance(value, str):
        found = book.by_code(conn, value)
        if found is None:
            raise ValidationError(
                f"{user_type}.permission_rule_set: there is no PermissionRuleSet named {value!r}",
                entity_type=user_type,
                field="permission_rule_set",
                value=value,
            )
    elif isinstance(value, Mapping) and value.get("type") == RULE_SET_TYPE and type(value.get("id")) is int:
        found = book.by_id(conn, value["id"])
        if found is None:
            return data  # the link check names it as missing
    else:
        return data  # None, or a value the change set refuses with its own message
    if found.kind != user_type:
        raise ValidationError(
            f"{user_type}.permission_rule_set: the set {found.code!r} is for {found.kind} entities",
            entity_type=user_type,
            field="permission_rule_set",
            value=value,
        )
    return {**data, "permission_rule_set": {"type": RULE_SET_TYPE, "id": found.id}}


def member_projects(conn: Connection, user_type: str, user_id: int) -> list[int]:
    """The projects whose Users field names this person (the only ones a restricted set sees)."""
    links = t.entity_links
    stmt = sa.select(links.c.src_id).where(
        links.c.field == "Project.users", links.c.dst_type == user_type, links.c.dst_id == user_id
    )
    return sorted({r[0] for r in conn.execute(stmt)})


# -- the migration from text fields ------------------------------------------------------------------


def create_rule_set_type(conn: Connection) -> None:
    """The PermissionRuleSet entity type's schema rows and table, as ``Catalog.apply_defaults``
    would make them (used by the migration, which runs before the catalog exists)."""
    etype = next(e for e in default_entity_types() if e.name == RULE_SET_TYPE)
    conn.execute(sa.insert(t.schema_entity_types).values(**type_row(etype)))
    taken = {"id", "retirement_date"}
    placed = []
    for pos, f in enumerate(f for f in default_fields() if f.entity_type == RULE_SET_TYPE):
        f = assign_columns(f, taken)
        taken |= {c for c in (f.column, f.type_column) if c}
        conn.execute(sa.insert(t.schema_fields).values(**field_row(f, pos)))
        placed.append(f)
    t.entity_table(sa.MetaData(), etype, placed).create(conn)


def convert_text_fields(conn: Connection, now: Any) -> bool:
    """Turn each user type's text ``permission_rule_set`` into a link to the set of that name, in
    place: a value naming no default set gets a set of its own (with no rules, so it allows nothing
    until an admin gives it some). Returns whether anything was converted."""
    fields = t.schema_fields
    rows = {
        r.entity_type: r
        for r in conn.execute(
            sa.select(fields).where(
                fields.c.entity_type.in_(_USER_TYPES),
                fields.c.name == "permission_rule_set",
                fields.c.data_type == "text",
            )
        )
    }
    if not rows:
        return False
    if _rule_set_table(conn)[0] is None:
        create_rule_set_type(conn)
    ensure_default_sets(conn, now)
    rule_sets, cols = _rule_set_table(conn)
    assert rule_sets is not None
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    ops = Operations(MigrationContext.configure(conn))
    for user_type, row in rows.items():
        table_name = conn.execute(
            sa.select(t.schema_entity_types.c.table_name).where(t.schema_entity_types.c.name == user_type)
        ).scalar_one()
        taken = {c.name for c in sa.Table(table_name, sa.MetaData(), autoload_with=conn).columns}
        text_col = row.column_name
        link = assign_columns(
            next(
                f for f in default_fields() if (f.entity_type, f.name) == (user_type, "permission_rule_set")
            ),
            taken,
        )
        assert link.column and link.type_column
        ops.add_column(table_name, sa.Column(link.type_column, sa.String(64), nullable=True))
        ops.add_column(table_name, sa.Column(link.column, sa.BigInteger, nullable=True))
        ops.create_index(f"ix_{table_name}_{link.column}", table_name, [link.column, link.type_column])
        users = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
        names = {r[0] for r in conn.execute(sa.select(users.c[text_col]).distinct()) if r[0]}
        by_code = {code: i for i, (code, _kind) in _set_rows(conn).items()}
        for name in sorted(names - set(by_code)):
            made = conn.execute(
                sa.insert(rule_sets).values({cols["code"]: name, cols["entity_type"]: user_type})
            ).inserted_primary_key
            assert made is not None
            by_code[name] = int(made[0])
        for name in names:
            conn.execute(
                sa.update(users)
                .where(users.c[text_col] == name)
                .values({link.type_column: RULE_SET_TYPE, link.column: by_code[name]})
            )
        # the old column stays (SQLite cannot drop it cheaply); nothing reads it any more
        conn.execute(
            sa.update(fields)
            .where(fields.c.entity_type == user_type, fields.c.name == "permission_rule_set")
            .values(
                data_type="entity",
                valid_types=[RULE_SET_TYPE],
                default_value=None,
                column_name=link.column,
                type_column=link.type_column,
            )
        )
    conn.execute(sa.update(t.schema_state).values(version=t.schema_state.c.version + 1))
    return True
