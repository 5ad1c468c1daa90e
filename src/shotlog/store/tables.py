"""The declared database schema.

System tables are declared here once and created by the Alembic migrations (a test compares the two).
Entity tables are different: their columns are the fields of the schema-as-data, so they are built at
run time by ``entity_table`` from the ``schema_fields`` rows, and custom fields become columns added
with ``ALTER TABLE``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field

__all__ = [
    "ID",
    "JSON",
    "access_tokens",
    "archive_segments",
    "archive_state",
    "column_type",
    "credential_epochs",
    "daemon_cursors",
    "daemon_feeds",
    "daemon_instances",
    "daemon_journal",
    "entity_links",
    "entity_table",
    "entity_tags",
    "event_log_entries",
    "field_column",
    "field_visibility",
    "follows",
    "metadata",
    "mirror_links",
    "mirror_local_events",
    "mirror_state",
    "note_readings",
    "project_accesses",
    "schema_entity_types",
    "schema_fields",
    "schema_state",
    "script_keys",
    "session_tokens",
    "signin_failures",
    "site_preferences",
    "user_preferences",
    "user_subscriptions",
    "webhook_attempt_deliveries",
    "webhook_attempts",
    "webhook_cursor",
    "webhook_deliveries",
    "webhook_hooks",
    "work_weeks",
]

# SQLite only turns INTEGER PRIMARY KEY into the rowid alias; BIGINT would lose autoincrement there.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

naming = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=naming)

schema_state = sa.Table(
    "schema_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # bumped by every schema change, so other processes know to reload their cached Schema
    sa.Column("version", sa.BigInteger, nullable=False),
)

schema_entity_types = sa.Table(
    "schema_entity_types",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("table_name", sa.String(63), nullable=False, unique=True),
    sa.Column("display_field", sa.String(64), nullable=False),
    sa.Column("project_scoped", sa.Boolean, nullable=False),
    sa.Column("retirable", sa.Boolean, nullable=False),
    sa.Column("mutable", sa.Boolean, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    sa.Column("visible", sa.Boolean, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False),
)

schema_fields = sa.Table(
    "schema_fields",
    metadata,
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("data_type", sa.String(32), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("valid_types", JSON, nullable=False),
    sa.Column("valid_values", JSON, nullable=False),
    sa.Column("display_values", JSON, nullable=False),
    sa.Column("hidden_values", JSON, nullable=False),
    sa.Column("default_value", JSON, nullable=True),
    sa.Column("editable", sa.Boolean, nullable=False),
    sa.Column("mandatory", sa.Boolean, nullable=False),
    sa.Column("is_unique", sa.Boolean, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    sa.Column("visible", sa.Boolean, nullable=False),
    sa.Column("reverse_of", sa.String(200), nullable=True),
    sa.Column("column_name", sa.String(63), nullable=True),
    sa.Column("type_column", sa.String(63), nullable=True),
    sa.Column("retired", sa.Boolean, nullable=False),
    sa.Column("properties", JSON, nullable=False),
)


def _event_fields() -> list[sa.Column[Any]]:
    """An event's own fields, shared by the log and a mirror's local events (each table gets new
    Column objects: SQLAlchemy binds a column to one table)."""
    return [
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("entity_type", sa.String(64), nullable=True),
        sa.Column("entity_id", sa.BigInteger, nullable=True),
        sa.Column("project_type", sa.String(64), nullable=True),
        sa.Column("project_id", sa.BigInteger, nullable=True),
        sa.Column("user_type", sa.String(64), nullable=True),
        sa.Column("user_id", sa.BigInteger, nullable=True),
        sa.Column("attribute_name", sa.String(255), nullable=True),
        sa.Column("meta", JSON, nullable=True),
        sa.Column("session_uuid", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    ]


# The event log. Ids are assigned by shotlog (shotlog.eventlog.log), never by a sequence: on SQLite
# under the one writer's lock, on PostgreSQL reserved in advisory locks that readers stop below
# (shotlog.store.eventids), so a reader of ``id > cursor`` never passes an id still to come.
event_log_entries = sa.Table(
    "event_log_entries",
    metadata,
    # INTEGER on SQLite makes it the rowid: no second B-tree to maintain for every event.
    sa.Column("id", ID, primary_key=True, autoincrement=False),
    *_event_fields(),
    sa.Column("cached_display_name", sa.Text, nullable=True),
    sa.Column("image", sa.Text, nullable=True),
    sa.Column("filmstrip_image", sa.Text, nullable=True),
    sa.Column("image_source_entity_type", sa.String(64), nullable=True),
    sa.Column("image_source_entity_id", sa.BigInteger, nullable=True),
    sa.Column("image_blur_hash", sa.Text, nullable=True),
    # The consumer queries of event-log.md §9: by entity, by project (optionally with event_type),
    # by event_type and by user, each ending in id so "first page in id order" is an index range scan.
    sa.Index("ix_event_log_entries_entity", "entity_type", "entity_id", "id"),
    sa.Index("ix_event_log_entries_project", "project_id", "id"),
    sa.Index("ix_event_log_entries_project_type", "project_id", "event_type", "id"),
    sa.Index("ix_event_log_entries_event_type", "event_type", "id"),
    sa.Index("ix_event_log_entries_user", "user_type", "user_id", "id"),
    sa.Index("ix_event_log_entries_created_at", "created_at"),
)

# Multi-entity values: one row per link, in the order the caller gave them.
entity_links = sa.Table(
    "entity_links",
    metadata,
    sa.Column("field", sa.String(200), primary_key=True),  # "Shot.assets"
    sa.Column("src_id", sa.BigInteger, primary_key=True),
    sa.Column("dst_type", sa.String(64), primary_key=True),
    sa.Column("dst_id", sa.BigInteger, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_entity_links_dst", "dst_type", "dst_id", "field"),
)

# tag_list values: one row per tag.
entity_tags = sa.Table(
    "entity_tags",
    metadata,
    sa.Column("field", sa.String(200), primary_key=True),
    sa.Column("owner_id", sa.BigInteger, primary_key=True),
    sa.Column("tag", sa.String(255), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_entity_tags_tag", "field", "tag"),
)


# Script keys of ApiUsers. A key is a high-entropy random string, so a SHA-256 digest is enough to
# keep it unreadable at rest; HumanUser passwords are Argon2 hashes in HumanUser.password_proxy.
script_keys = sa.Table(
    "script_keys",
    metadata,
    sa.Column("api_user_id", sa.BigInteger, primary_key=True),
    sa.Column("key_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Session tokens from get_session_token and the REST access tokens; stored as SHA-256 digests.
session_tokens = sa.Table(
    "session_tokens",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # session, access, refresh, web
    sa.Column("user_type", sa.String(64), nullable=False),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    # migration 0007: the user's credentials epoch when the token was issued (a token of an older
    # epoch is dead); the grant a REST token belongs to; when a refresh token was spent
    sa.Column("epoch", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("family", sa.String(64), nullable=True),
    sa.Column("used_at", sa.DateTime, nullable=True),
    sa.Index("ix_session_tokens_expires_at", "expires_at"),
    sa.Index("ix_session_tokens_family", "family"),
)

# People's personal access tokens (migration 0014), owned by ``shotlog.accounts.access_tokens``: a
# random secret kept as its SHA-256 digest, named by its owner, with an expiry and its last use.
access_tokens = sa.Table(
    "access_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),  # a HumanUser
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime, nullable=True),
    sa.Column("last_used_address", sa.String(64), nullable=True),
    sa.Index("ix_access_tokens_token_sha256", "token_sha256", unique=True),
    sa.Index("ix_access_tokens_user_id", "user_id"),
)

# Each user's credentials epoch (migration 0007): bumped in the same transaction as a password
# change, a disabling, a retirement or a new script key. A user without a row is at epoch 0.
credential_epochs = sa.Table(
    "credential_epochs",
    metadata,
    sa.Column("user_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("epoch", sa.BigInteger, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
)

# follow / unfollow / followers
follows = sa.Table(
    "follows",
    metadata,
    sa.Column("user_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("entity_id", sa.BigInteger, primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_follows_entity", "entity_type", "entity_id"),
)


# -- webhooks (migration 0003) ---------------------------------------------------------------------------

# One row per hook (FPTR's webhook). Secrets are stored as given: HMAC needs the key itself.
webhook_hooks = sa.Table(
    "webhook_hooks",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("token", sa.Text, nullable=True),
    sa.Column("signing_secrets", JSON, nullable=False),  # Standard Webhooks secrets, newest first
    sa.Column("standard_webhooks", sa.Boolean, nullable=False),
    sa.Column("entity_types", JSON, nullable=True),
    sa.Column("event_types", JSON, nullable=True),
    sa.Column("projects", JSON, nullable=False),
    sa.Column("include_in_create", sa.Boolean, nullable=False),
    sa.Column("validate_ssl_cert", sa.Boolean, nullable=False),
    sa.Column("batch_deliveries", sa.Boolean, nullable=False),
    sa.Column("ordered", sa.Boolean, nullable=False),
    sa.Column("max_concurrency", sa.Integer, nullable=False),
    sa.Column("timeout", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # when the status last changed (migration 0011; null: not since then)
    sa.Column("status_since", sa.DateTime, nullable=True),
    # failed requests before this (a user enabling the hook) no longer count towards its status
    sa.Column("enabled_at", sa.DateTime, nullable=True),
    # shotlog's "Notify when unstable": the addresses mailed when the hook turns Unstable or Failed
    sa.Column("notify_emails", JSON, nullable=False, server_default="[]"),
    # events up to this id existed before the hook and are never delivered to it (replay aside)
    sa.Column("start_event_id", sa.BigInteger, nullable=False),
    # the retry back-off of the whole hook: consecutive failed requests, and no request before this
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("paused_until", sa.DateTime, nullable=True),
    sa.Column("num_deliveries", sa.BigInteger, nullable=False),
    sa.Column("last_success_at", sa.DateTime, nullable=True),
    sa.Column("last_error_at", sa.DateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# The dispatcher's cursor: the last event id turned into deliveries (one row, id 1).
webhook_cursor = sa.Table(
    "webhook_cursor",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_event_id", sa.BigInteger, nullable=False),
)

# One row per event x hook (or service message x hook): what happened to event E at hook H.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("hook_id", sa.String(36), nullable=False),
    sa.Column("event_id", sa.BigInteger, nullable=False),  # 0 for Test_Connection / Webhook_Status_Change
    sa.Column("kind", sa.String(16), nullable=False),  # event, test, status, replay
    sa.Column("service_data", JSON, nullable=True),  # the data of service messages (no event-log row)
    sa.Column("state", sa.String(16), nullable=False),  # pending, delivered, failed, held, discarded
    sa.Column("event_time", sa.DateTime, nullable=False),
    sa.Column("entity_type", sa.String(64), nullable=True),
    sa.Column("entity_id", sa.BigInteger, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("claimed_until", sa.DateTime, nullable=True),
    sa.Column("last_attempt_id", sa.String(36), nullable=True),
    sa.Column("response_code", sa.Integer, nullable=True),
    sa.Column("process_time", sa.Float, nullable=True),
    sa.Column("acknowledgement", sa.Text, nullable=True),
    sa.Column("redelivery_of", sa.String(36), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    # the worker's claim query: due pending deliveries of a hook in order
    sa.Index("ix_webhook_deliveries_due", "state", "hook_id", "next_attempt_at", "event_id"),
    # ordered hooks take the oldest pending event first
    sa.Index("ix_webhook_deliveries_order", "state", "hook_id", "event_id"),
    sa.Index("ix_webhook_deliveries_hook", "hook_id", "event_time"),
    sa.Index("ix_webhook_deliveries_created_at", "created_at"),
)

# One row per HTTP request (a batched request carries several deliveries): the bounded capture.
# ``delivery_id`` (migration 0013) names the delivery of a request that carried one, nearly all of
# them; a batched request leaves it NULL and names its deliveries in webhook_attempt_deliveries.
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("hook_id", sa.String(36), nullable=False),
    sa.Column("delivery_id", sa.String(36), nullable=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Column("response_code", sa.Integer, nullable=True),
    sa.Column("process_time", sa.Float, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("request_headers", JSON, nullable=False),
    sa.Column("request_body", sa.Text, nullable=False),
    sa.Column("response_headers", JSON, nullable=True),
    sa.Column("response_body", sa.Text, nullable=True),
    sa.Index("ix_webhook_attempts_hook", "hook_id", "started_at"),
    sa.Index("ix_webhook_attempts_started_at", "started_at"),
    # a delivery's page lists its attempts
    sa.Index("ix_webhook_attempts_delivery_id", "delivery_id"),
)

# Which deliveries a batched attempt carried (migration 0012; since 0013 only requests of several
# deliveries, a single one is on the attempt row): a delivery's page lists its attempts, each with
# its request and answer. One row per delivery per batched attempt; purged with the attempt.
webhook_attempt_deliveries = sa.Table(
    "webhook_attempt_deliveries",
    metadata,
    sa.Column("delivery_id", sa.String(36), primary_key=True),
    sa.Column("attempt_id", sa.String(36), primary_key=True),
    sa.Index("ix_webhook_attempt_deliveries_attempt_id", "attempt_id"),
)

# -- event archive (migration 0004) ----------------------------------------------------------------------

# One row per archived segment: a gzip'd JSON Lines object holding the events first_id..last_id of
# one month. ``state`` is the archive job's state machine (see shotlog.archive.job): writing ->
# stored -> done, later purging -> purged; only ``done`` segments are part of the archive.
archive_segments = sa.Table(
    "archive_segments",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("month", sa.String(7), nullable=False),  # 2024-03
    sa.Column("first_id", sa.BigInteger, nullable=False),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("first_at", sa.DateTime, nullable=True),
    sa.Column("last_at", sa.DateTime, nullable=True),
    sa.Column("event_count", sa.BigInteger, nullable=False),
    sa.Column("key", sa.String(512), nullable=False, unique=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_archive_segments_first_id", "first_id"),
    sa.Index("ix_archive_segments_month", "month"),
)

# One row (id 1): every event with id <= archived_through has left the live log for the archive.
archive_state = sa.Table(
    "archive_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("archived_through", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# -- event daemon (migration 0005) -----------------------------------------------------------------------

# One row per (daemon, plugin): where the plugin is in the log and what state it is in. The daemon
# advances ``position`` in the same transaction that records the event as processed, so a kill -9
# re-runs at most the event in flight (shotlog.daemon.cursors).
daemon_cursors = sa.Table(
    "daemon_cursors",
    metadata,
    sa.Column("daemon", sa.String(64), primary_key=True),
    sa.Column("collection", sa.String(512), primary_key=True),  # plugin directory as configured
    sa.Column("plugin", sa.String(255), primary_key=True),  # file name without .py
    sa.Column("position", sa.BigInteger, nullable=False),  # last processed position of the source
    sa.Column("last_event_id", sa.BigInteger, nullable=True),
    # ids at or below last_event_id still to process (imported backlog), and the callbacks that
    # already succeeded on the event after ``position`` (so a resumed plugin does not re-run them)
    sa.Column("pending", JSON, nullable=True),
    sa.Column("done_callbacks", JSON, nullable=True),
    # polling source, imported state: ids at or below this were done by shotgunEvents (but pending)
    sa.Column("fence_event_id", sa.BigInteger, nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),  # operator's pause, written by status actions
    sa.Column("resume_token", sa.Integer, nullable=False),  # bumped by "resume": retry a failure
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("error_event_id", sa.BigInteger, nullable=True),
    sa.Column("processed", sa.BigInteger, nullable=False),
    sa.Column("errors", sa.BigInteger, nullable=False),
    sa.Column("path", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# One row per running daemon: who holds it (so a second daemon with the same name refuses to
# start) and the head of the log it last saw (so status can show lag without asking the source).
daemon_instances = sa.Table(
    "daemon_instances",
    metadata,
    sa.Column("daemon", sa.String(64), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("head_position", sa.BigInteger, nullable=False),
    sa.Column("head_event_id", sa.BigInteger, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("heartbeat_at", sa.DateTime, nullable=False),
    sa.Column("stopped_at", sa.DateTime, nullable=True),
)

# The polling source's journal: events of a remote api3 site in the order the daemon first saw
# them (``seq``), so a late-committed lower id gets a new position instead of moving cursors back.
daemon_journal = sa.Table(
    "daemon_journal",
    metadata,
    sa.Column("daemon", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("event", JSON, nullable=False),
    sa.Index("ix_daemon_journal_event", "daemon", "event_id", unique=True),
)

# The polling source's view of the remote log: highest id seen and the ids still missing below it.
daemon_feeds = sa.Table(
    "daemon_feeds",
    metadata,
    sa.Column("daemon", sa.String(64), primary_key=True),
    sa.Column("max_seen_id", sa.BigInteger, nullable=False),
    sa.Column("holes", JSON, nullable=False),  # {"<id>": "<deadline, ISO UTC>"}
    sa.Column("seq", sa.BigInteger, nullable=False),
)


# -- site state of the api3 methods (migration 0006) ------------------------------------------------

# Site preferences changed from their defaults (preferences_read answers the defaults for the rest).
#: the working weekdays (ISO numbers, Monday = 1) of the studio (scope "studio", id 0), a Project or a
#: HumanUser; a scope without a row follows the one above it
work_weeks = sa.Table(
    "work_weeks",
    metadata,
    sa.Column("scope_type", sa.String(16), primary_key=True),
    sa.Column("scope_id", sa.BigInteger, primary_key=True),
    sa.Column("days", JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

site_preferences = sa.Table(
    "site_preferences",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("value", JSON, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# When each user last opened each project: Project.last_accessed_by_current_user, per user.
project_accesses = sa.Table(
    "project_accesses",
    metadata,
    sa.Column("project_id", sa.BigInteger, primary_key=True),
    sa.Column("user_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("accessed_at", sa.DateTime, nullable=False),
    sa.Index("ix_project_accesses_user", "user_type", "user_id"),
)

# A custom field's visibility set for one project (schema_field_update with a project).
field_visibility = sa.Table(
    "field_visibility",
    metadata,
    sa.Column("project_id", sa.BigInteger, primary_key=True),
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("field_name", sa.String(255), primary_key=True),
    sa.Column("visible", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# Which person has read which Note: Note.read_by_current_user ("read" when a row exists).
note_readings = sa.Table(
    "note_readings",
    metadata,
    sa.Column("note_id", sa.BigInteger, primary_key=True),
    sa.Column("user_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("read_at", sa.DateTime, nullable=False),
)

# user_subscriptions_create / _read: each HumanUser's subscription as it was assigned.
user_subscriptions = sa.Table(
    "user_subscriptions",
    metadata,
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("subscription", JSON, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


def column_type(field: Field) -> sa.types.TypeEngine[Any]:
    kind = field.dtype.kind
    if kind == "str":
        return sa.Text()
    if kind == "int":
        return sa.BigInteger()
    if kind == "float":
        return sa.Float()
    if kind == "bool":
        return sa.Boolean()
    if kind == "date":
        return sa.Date()
    if kind == "datetime":
        return sa.DateTime()
    return JSON


def field_column(field: Field) -> sa.Column[Any]:
    """The column of a COLUMN-stored field. Checkboxes are never NULL: FPTR reads them as false."""
    assert field.column is not None
    if field.data_type == "checkbox":
        return sa.Column(field.column, sa.Boolean(), nullable=False, server_default=sa.false())
    return sa.Column(field.column, column_type(field), nullable=True)


def entity_table(md: sa.MetaData, etype: EntityType, fields: list[Field]) -> sa.Table:
    """The SQLAlchemy table of one entity type, with a column (or two) per stored field."""
    if etype.name == "EventLogEntry":
        return event_log_entries
    cols: list[sa.Column[Any]] = [sa.Column("id", ID, primary_key=True, autoincrement=True)]
    if etype.retirable:
        cols.append(sa.Column("retirement_date", sa.DateTime, nullable=True))
    indexes: list[sa.Index] = []
    for f in fields:
        if f.name == "id" or f.column is None:
            continue
        if f.storage is Storage.LINK:
            assert f.type_column is not None
            cols.append(sa.Column(f.type_column, sa.String(64), nullable=True))
            cols.append(sa.Column(f.column, sa.BigInteger, nullable=True))
            indexes.append(sa.Index(f"ix_{etype.table}_{f.column}", f.column, f.type_column))
        elif f.storage is Storage.COLUMN:
            cols.append(field_column(f))
    return sa.Table(etype.table, md, *cols, *indexes)


# -- uploaded files (migration 0008) ---------------------------------------------------------------

# The bytes behind each Attachment shotlog stores: an uploaded file, or a thumbnail and the
# renditions made from it (``renditions``: rendition name -> object key). A row is written in the
# transaction that creates its Attachment, after the object is durable, so no field ever names an
# object that is not there. ``shotlog.store.files`` owns both tables.
stored_files = sa.Table(
    "stored_files",
    metadata,
    sa.Column("attachment_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("key", sa.String(512), nullable=False, unique=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("renditions", JSON, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Objects being written and not yet linked to an Attachment: a client's announced upload
# (api_get_upload_link_info, which it may PUT to until ``expires_at``), or a form post's body on
# its way to the store. The row is committed before the first byte is written and removed in the
# transaction that links the object, so after a kill -9 the sweep finds every orphaned object here.
file_uploads = sa.Table(
    "file_uploads",
    metadata,
    sa.Column("upload_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("upload_type", sa.String(16), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("owner_type", sa.String(64), nullable=False),
    sa.Column("owner_id", sa.BigInteger, nullable=False),
    sa.Column("multipart_id", sa.String(1024), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index("ix_file_uploads_expires_at", "expires_at"),
)

# The site's signing keys, by purpose ("files": the HMAC key of thumbnail, download and upload
# URLs). Kept in the database so that every server of a site signs and checks with the same key.
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("purpose", sa.String(64), primary_key=True),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Failed sign-ins, one row per client address and login tried, for the window that began with
# the row's first attempt (``shotlog.accounts.throttle``): the throttle sums ``failures`` per login
# and per address, and each row is one folded Shotgun_User_FailedLogin. ``refused`` counts the
# attempts turned away unchecked; login "" holds those of logins with no row of their own.
signin_failures = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("address", sa.String(64), primary_key=True),
    sa.Column("login", sa.String(255), primary_key=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("window_start", sa.DateTime, nullable=False),
    sa.Column("last_at", sa.DateTime, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("refused", sa.Integer, nullable=False),
    #: 1 when the window's first attempt was written as its own event at once
    sa.Column("reported", sa.Integer, nullable=False),
    sa.Index("ix_signin_failures_login", "login"),
    sa.Index("ix_signin_failures_window_start", "window_start"),
)


# -- per-user preferences (migration 0010) ----------------------------------------------------------

#: a person's own settings of the web UI (its time zone), one row per user and name; a user without a
#: row has the default (for the time zone: the browser's)
user_preferences = sa.Table(
    "user_preferences",
    metadata,
    sa.Column("user_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


# -- a mirror of an FPTR site (migration 0016) -----------------------------------------------------------

# One row while the database mirrors a site (``shotlog mirror run``): which site, the last FPTR event
# id appended (the cursor, written in the transaction that appends the events up to it), the gaps
# still open above it (for status; a restart finds them again by reading the site after the
# cursor), and counts and errors for ``shotlog mirror status``. Owned by shotlog.store.mirrors.
mirror_state = sa.Table(
    "mirror_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("site", sa.Text, nullable=False),
    sa.Column("cursor", sa.BigInteger, nullable=False),
    sa.Column("holes", JSON, nullable=True),
    sa.Column("counts", JSON, nullable=True),
    sa.Column("site_head_id", sa.BigInteger, nullable=True),
    sa.Column("site_head_at", sa.DateTime, nullable=True),
    sa.Column("mirrored_at", sa.DateTime, nullable=True),
    sa.Column("polled_at", sa.DateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_error_at", sa.DateTime, nullable=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
)

# The display names of the entities a mirrored log links to, as the site named them in its events
# (the mirror has no entity rows of its own). Read by shotlog.store.names for a mirrored database.
mirror_links = sa.Table(
    "mirror_links",
    metadata,
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("entity_id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# shotlog's own events on a database that mirrors a site (migration 0017): a webhook's audit, a script
# made or given a key, a token, a rule edit, a sign-in and its throttling, the setup ``serve`` writes.
# They are the mirror's, not the site's, so they never take an id in event_log_entries, whose ids
# are the site's (a local id there would collide with the site's event of that id and be passed by
# every reader of ``id > cursor``). Same columns as an event, ids of their own. Owned by
# shotlog.store.local_events; written by shotlog.eventlog.log.append on a mirrored database.
mirror_local_events = sa.Table(
    "mirror_local_events",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    *_event_fields(),
)
