"""The OpenAPI paths of the services beside the entities: the document itself, the event stream,
the daemon's plugins, the mirror's state, Action Menu Items and the archive.

Their handlers live in ``server.stream``, ``server.mirror_routes`` and ``server.actions_routes``;
they take the same access tokens and answer errors in the same envelope as the rest of the API.
"""

from __future__ import annotations

from typing import Any

from shotlog.server.rest.openapi_blocks import BEARER, errors, json_body, ref

__all__ = ["SCHEMAS", "paths"]

#: ``after_id`` and ``Last-Event-ID`` of the stream, ``from_event_id`` of a replay
_MAX_EVENT_ID = 2**62
_YES_NO = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)$"
_NULL_STRING = {"type": "string", "nullable": True}
_NULL_INT = {"type": "integer", "nullable": True}
_PLUGIN = {
    "type": "object",
    "required": ["daemon", "collection", "plugin", "state", "paused", "position", "lag", "updated_at"],
    "properties": {
        "daemon": {"type": "string"},
        "collection": {"type": "string"},
        "plugin": {"type": "string"},
        "state": {
            "type": "string",
            "enum": ["running", "paused", "failed", "load_error", "missing", "stopped"],
        },
        "paused": {"type": "boolean"},
        "position": {"type": "integer"},
        "last_event_id": _NULL_INT,
        "lag": _NULL_INT,
        "last_error": _NULL_STRING,
        "error_event_id": _NULL_INT,
        "processed": {"type": "integer"},
        "errors": {"type": "integer"},
        "path": _NULL_STRING,
        "updated_at": {"type": "string"},
    },
}
_DAEMON = {
    "type": "object",
    "required": ["daemon", "running", "host", "pid", "source", "head_event_id", "heartbeat_at", "plugins"],
    "properties": {
        "daemon": {"type": "string"},
        "running": {"type": "boolean"},
        "host": _NULL_STRING,
        "pid": _NULL_INT,
        "source": _NULL_STRING,
        "head_event_id": _NULL_INT,
        "heartbeat_at": _NULL_STRING,
        "plugins": {"type": "array", "items": _PLUGIN},
    },
}

#: one message of the stream, as a server-sent event (what each ``event:``/``id:``/``data:`` block is)
_SSE_EVENT = {
    "description": "head first (data: {head_event_id}, retry 1000), then one event per EventLogEntry "
    "(id: its id, data: its JSON)",
    "oneOf": [
        {
            "type": "object",
            "required": ["event", "data"],
            "properties": {
                "event": {"type": "string", "enum": ["head"]},
                "data": {"type": "string"},
                "retry": {"type": "integer"},
            },
        },
        {
            "type": "object",
            "required": ["event", "id", "data"],
            "properties": {
                "event": {"type": "string", "enum": ["event"]},
                "id": {"type": "string", "pattern": "^[0-9]+$"},
                "data": {"type": "string"},
            },
        },
    ],
}

SCHEMAS: dict[str, Any] = {
    "DaemonPlugins": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": _DAEMON}},
    },
    "DaemonAction": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["daemon", "collection", "plugin", "action"],
                "properties": {
                    "daemon": {"type": "string"},
                    "collection": {"type": "string"},
                    "plugin": {"type": "string"},
                    "action": {"type": "string", "enum": ["pause", "resume", "replay"]},
                },
            }
        },
    },
    "Mirror": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "object", "nullable": True, "description": "null: no mirror here"}},
    },
    "ActionMenuItems": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": {"type": "object"}}},
    },
    "ArchiveSegments": {
        "type": "object",
        "required": ["data", "live_floor"],
        "properties": {
            "data": {"type": "array", "items": {"type": "object"}},
            "live_floor": {"type": "integer", "nullable": True},
        },
    },
}

_EXPORT: dict[str, Any] = {
    "description": "The events as a download (Content-Disposition names the file)",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
    },
}


def _op(operation_id: str, summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        **more,
        "security": BEARER,
        "responses": {**errors(), **responses},
    }


def _plugin_action(name: str, summary: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": "daemon", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "plugin", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "collection", "in": "query", "schema": {"type": "string"}},
    ]
    if name == "replay":
        parameters.append(
            {
                "name": "from_event_id",
                "in": "query",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": _MAX_EVENT_ID},
            }
        )
    return {
        f"/api/v1/daemon/plugins/{{daemon}}/{{plugin}}/{name}": {
            "post": _op(
                f"{name}DaemonPlugin",
                summary,
                {"200": json_body(ref("DaemonAction"), "Done")},
                parameters=parameters,
            )
        }
    }


def paths() -> dict[str, Any]:
    return {
        "/api/v1/spec.json": {
            "get": {
                "operationId": "readOpenApiDocument",
                "summary": "This document (the site's entity types as the {entity} enum)",
                "responses": {
                    "200": json_body({"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3"),
                    **errors(),
                },
            }
        },
        "/api/v1/events/stream": {
            "get": _op(
                "streamEvents",
                "The event log as server-sent events: a head message, then each event after after_id",
                {
                    "200": {
                        "description": "id/event/data messages; a comment every 15 s on an idle stream",
                        "content": {"text/event-stream": {"schema": _SSE_EVENT}},
                    }
                },
                parameters=[
                    {
                        "name": "after_id",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": _MAX_EVENT_ID},
                    },
                    {
                        "name": "Last-Event-ID",
                        "in": "header",
                        "schema": {"type": "integer", "minimum": 0, "maximum": _MAX_EVENT_ID},
                        "description": "What a browser's EventSource sends on reconnect; after_id wins",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                    },
                    {
                        "name": "follow",
                        "in": "query",
                        "schema": {"type": "string", "pattern": _YES_NO},
                        "description": "true (the default) or false: end after the backlog",
                    },
                ],
            )
        },
        "/api/v1/daemon/plugins": {
            "get": _op(
                "listDaemonPlugins",
                "Every daemon whose cursors live in this database, with its plugins",
                {"200": json_body(ref("DaemonPlugins"), "The daemons")},
            )
        },
        **_plugin_action("pause", "Pause a plugin (managers of the daemon)"),
        **_plugin_action("resume", "Resume a paused plugin (managers of the daemon)"),
        **_plugin_action("replay", "Move a plugin's cursor back to from_event_id (managers of the daemon)"),
        "/api/v1/mirror": {
            "get": _op(
                "readMirror",
                "The state of the FPTR site this database mirrors, if any",
                {"200": json_body(ref("Mirror"), "The mirror's state, or data null")},
            )
        },
        "/api/v1/action_menu_items": {
            "get": _op(
                "listActionMenuItems",
                "The Action Menu Items a page of entity_type shows",
                {"200": json_body(ref("ActionMenuItems"), "The items")},
                parameters=[
                    {
                        "name": "entity_type",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    },
                    {"name": "project_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                ],
            )
        },
        "/api/v1/action_menu_items/{id}/trigger": {
            "post": _op(
                "triggerActionMenuItem",
                "Trigger an item: its POST payload (or, with deliver=server, what its URL answered), "
                "or the export it stands for",
                {
                    "200": {
                        "description": "The payload (JSON), or the export it stands for",
                        "content": {"application/json": {"schema": {"type": "object"}}, **_EXPORT["content"]},
                    }
                },
                parameters=[
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    }
                ],
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["entity_type"],
                                "properties": {
                                    "entity_type": {"type": "string", "minLength": 1},
                                    "selected_ids": {"type": "string"},
                                    "ids": {"type": "string"},
                                    "project_id": {"type": "integer", "minimum": 1},
                                    "page_id": {"type": "integer", "minimum": 1},
                                    "deliver": {"type": "string", "enum": ["server"]},
                                    "format": {"type": "string", "enum": ["csv", "jsonl"]},
                                },
                            }
                        }
                    },
                },
            )
        },
        "/api/v1/archive/segments": {
            "get": _op(
                "listArchiveSegments",
                "The archive's segments (readers of the archive)",
                {"200": json_body(ref("ArchiveSegments"), "The segments and the live log's oldest id")},
                parameters=[
                    {
                        "name": "all",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "1, true or yes: purged segments too (any other value: not)",
                    }
                ],
            )
        },
        "/api/v1/archive/download": {
            "get": _op(
                "downloadArchive",
                "Archived events of some months or segments, filtered, as CSV or JSON lines",
                {"200": _EXPORT, "409": json_body(ref("Errors"), "No archive is configured")},
                parameters=[
                    {
                        "name": "month",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "e.g. 2024-03",
                    },
                    {"name": "segment", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "jsonl"]}},
                ],
            )
        },
    }
