"""The OpenAPI paths of webhook management (``server.rest.webhooks``), FPTR's ``/api/v1/webhook``.

Hooks are addressed by UUID; a bad field answers 400 with code 103 and the message under the field
in ``source``, an unknown hook or delivery 404 (code 104, 103 when the id is not a UUID), a body
that is not JSON 415. Every path is for those who may manage webhooks (403 for anyone else).
"""

from __future__ import annotations

from typing import Any

from shotlog.server.rest.openapi_blocks import BEARER, MAX_ID, errors, json_body, ref
from shotlog.webhooks.hooks import MAX_CONCURRENCY

__all__ = ["SCHEMAS", "paths"]

_NULL_STRING = {"type": "string", "nullable": True}
_TIME = {"type": "string", "nullable": True, "description": "UTC, ISO 8601"}
_HOOK = {
    "type": "object",
    "required": ["id", "url", "name", "description", "projects", "status", "num_deliveries"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "url": {"type": "string"},
        "name": _NULL_STRING,
        "description": _NULL_STRING,
        "entity_types": {"type": "object", "description": "type → {create, update: [fields], delete}"},
        "event_type": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "event_types": {"type": "array", "items": {"type": "string"}},
        "never_written": {"type": "array", "items": {"type": "string"}},
        "projects": {"type": "array", "items": {"type": "integer"}},
        "status": {"type": "string", "enum": ["active", "unstable", "failed", "disabled"]},
        "num_deliveries": {"type": "integer"},
        "validate_ssl_cert": {"type": "boolean"},
        "batch_deliveries": {"type": "boolean"},
        "is_token_set": {"type": "boolean"},
        "include_in_create": {"type": "boolean"},
        "ordered": {"type": "boolean"},
        "max_concurrency": {"type": "integer"},
        "timeout": {"type": "number"},
        "standard_webhooks": {"type": "boolean"},
        "is_signing_secret_set": {"type": "boolean"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "last_success_at": _TIME,
        "last_error_at": _TIME,
        "last_error": _NULL_STRING,
        "notify_emails": {"type": "array", "items": {"type": "string"}},
        "status_since": _TIME,
        "failures_in_window": {"type": "integer"},
        "failure_threshold": {"type": "integer"},
        "pending_deliveries": {"type": "integer"},
        "held_deliveries": {"type": "integer"},
    },
}
_DELIVERY = {
    "type": "object",
    "required": ["id", "status", "hook_id", "state", "attempts"],
    "properties": {
        "id": {"type": "string"},
        "event_time": {"type": "integer", "nullable": True, "description": "unix seconds"},
        "status": {"type": "string"},
        "process_time": {"type": "number", "nullable": True},
        "response_code": {"type": "integer", "nullable": True},
        "body": _NULL_STRING,
        "acknowledgement": {"nullable": True},
        "request_headers": {"nullable": True},
        "response_headers": {"nullable": True},
        "request_body": {"nullable": True},
        "hook_id": {"type": "string"},
        "event_log_entry_id": {"type": "integer", "nullable": True},
        "kind": {"type": "string"},
        "state": {"type": "string"},
        "attempts": {"type": "integer"},
        "next_attempt_at": _TIME,
        "sent_at": _TIME,
        "error": _NULL_STRING,
        "response_body": _NULL_STRING,
        "entity": {"type": "object", "nullable": True},
        "redelivery_of": _NULL_STRING,
    },
}
_PAGE_LINKS = {
    "type": "object",
    "required": ["self"],
    "properties": {"self": {"type": "string"}, "next": _NULL_STRING},
}
_SELF = {"type": "object", "required": ["self"], "properties": {"self": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "Webhook": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {"data": _HOOK, "links": _SELF},
    },
    "Webhooks": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {"data": {"type": "array", "items": _HOOK}, "links": _PAGE_LINKS},
    },
    "Delivery": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {"data": _DELIVERY, "links": _SELF},
    },
    "Deliveries": {
        "type": "object",
        "required": ["data", "included", "performance_metrics", "links"],
        "properties": {
            "data": {"type": "array", "items": _DELIVERY},
            "included": {"type": "array"},
            "performance_metrics": {"type": "object"},
            "links": _PAGE_LINKS,
        },
    },
}

_STRINGS = {"type": "array", "items": {"type": "string"}}
#: the writable fields; read-only ones a client sends back (id, status counts, ...) are ignored
_HOOK_FIELDS = {
    "url": {"type": "string", "minLength": 1, "maxLength": 2048},
    "name": _NULL_STRING,
    "description": _NULL_STRING,
    "token": {"type": "string", "nullable": True, "maxLength": 1024},
    "validate_ssl_cert": {"type": "boolean"},
    "batch_deliveries": {"type": "boolean"},
    "include_in_create": {"type": "boolean"},
    "ordered": {"type": "boolean"},
    "standard_webhooks": {"type": "boolean"},
    "signing_secret": {
        "type": "string",
        "nullable": True,
        "description": "whsec_ and 24 to 64 bytes in base64",
    },
    "max_concurrency": {"type": "integer", "minimum": 1, "maximum": MAX_CONCURRENCY},
    "timeout": {"type": "number", "minimum": 1, "maximum": 120},
    "projects": {"type": "array", "nullable": True, "items": {"type": "integer", "minimum": 1}},
    "status": {"type": "string", "enum": ["active", "disabled"]},
    "notify_emails": {"nullable": True, "oneOf": [_STRINGS, {"type": "string"}]},
    "entity_types": {"type": "object", "nullable": True},
    "event_type": {"nullable": True, "oneOf": [{"type": "string"}, _STRINGS]},
    "event_types": {"nullable": True, "oneOf": [{"type": "string"}, _STRINGS]},
}
_NEW_HOOK = {"type": "object", "required": ["url"], "properties": _HOOK_FIELDS}
_HOOK_CHANGE = {"type": "object", "minProperties": 1, "properties": _HOOK_FIELDS}
_PAGE = [
    {
        "name": "page[number]",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    },
    {"name": "page[size]", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
]
_HOOK_ID = {
    "name": "hook",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The hook's UUID",
}
_DELIVERY_ID = {
    "name": "delivery",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The delivery's UUID",
}
_ERRORS = errors(_415="The body is not application/json")


def _json_request(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(operation_id: str, summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        **more,
        "security": BEARER,
        "responses": {**_ERRORS, **responses},
    }


def paths() -> dict[str, Any]:
    tested = {
        "description": "Sent; what the receiver answered is in the X-Shotlog-Test-* headers",
        "headers": {
            name: {"schema": {"type": "string"}}
            for name in (
                "X-Shotlog-Test-Ok",
                "X-Shotlog-Test-Response-Code",
                "X-Shotlog-Test-Latency-Ms",
                "X-Shotlog-Test-Delivery-Id",
            )
        },
    }
    return {
        "/api/v1/webhook/hooks": {
            "get": _op(
                "listWebhooks",
                "The webhooks, a page at a time",
                {"200": json_body(ref("Webhooks"), "A page of hooks")},
                parameters=[
                    *_PAGE,
                    {"name": "status", "in": "query", "schema": {"type": "string"}},
                    {"name": "url", "in": "query", "schema": {"type": "string"}},
                ],
            ),
            "post": _op(
                "createWebhook",
                "Create a webhook (entity_types, or event_type(s) for global events)",
                {"201": json_body(ref("Webhook"), "The hook")},
                requestBody=_json_request(_NEW_HOOK),
            ),
        },
        "/api/v1/webhook/hooks/{hook}": {
            "get": _op(
                "readWebhook",
                "One webhook",
                {"200": json_body(ref("Webhook"), "The hook")},
                parameters=[_HOOK_ID],
            ),
            "put": _op(
                "updateWebhook",
                "Change some of a webhook's fields",
                {"200": json_body(ref("Webhook"), "The hook as it is now")},
                parameters=[_HOOK_ID],
                requestBody=_json_request(_HOOK_CHANGE),
            ),
            "delete": _op(
                "deleteWebhook",
                "Delete a webhook",
                {"204": {"description": "Deleted"}},
                parameters=[_HOOK_ID],
            ),
        },
        "/api/v1/webhook/hooks/{hook}/test_connection": {
            "post": _op(
                "testWebhookConnection",
                "Send a Test_Connection delivery now",
                {"204": tested},
                parameters=[_HOOK_ID],
            )
        },
        "/api/v1/webhook/hooks/{hook}/deliveries": {
            "get": _op(
                "listWebhookDeliveries",
                "A hook's deliveries, newest first",
                {"200": json_body(ref("Deliveries"), "A page of deliveries")},
                parameters=[
                    _HOOK_ID,
                    *_PAGE,
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["delivered", "failed", "pending", "held", "discarded"],
                        },
                    },
                    {"name": "entity_type", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "entity_id",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    },
                    {
                        "name": "from",
                        "in": "query",
                        "schema": {"type": "number"},
                        "description": "unix seconds",
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "schema": {"type": "number"},
                        "description": "unix seconds",
                    },
                    {"name": "acknowledgement", "in": "query", "schema": {"type": "string"}},
                ],
            )
        },
        "/api/v1/webhook/deliveries/{delivery}": {
            "get": _op(
                "readWebhookDelivery",
                "One delivery",
                {"200": json_body(ref("Delivery"), "The delivery")},
                parameters=[_DELIVERY_ID],
            ),
            "put": _op(
                "acknowledgeWebhookDelivery",
                "Set a delivery's acknowledgement (other keys change nothing)",
                {"200": json_body(ref("Delivery"), "The delivery")},
                parameters=[_DELIVERY_ID],
                requestBody=_json_request(
                    {"type": "object", "properties": {"acknowledgement": {"nullable": True}}}, required=False
                ),
            ),
        },
        "/api/v1/webhook/deliveries/{delivery}/redeliver": {
            "post": _op(
                "redeliverWebhookDelivery",
                "Send a delivery again, as a new delivery (its URL in Location)",
                {"204": {"description": "Queued", "headers": {"Location": {"schema": {"type": "string"}}}}},
                parameters=[_DELIVERY_ID],
            )
        },
    }
