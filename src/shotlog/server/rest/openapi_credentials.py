"""The OpenAPI paths of credentials managed at run time (``server.rest.credentials``): scripts and
their keys, people's personal access tokens."""

from __future__ import annotations

from typing import Any

from shotlog.accounts.access_tokens import MAX_DAYS
from shotlog.accounts.access_tokens import MAX_NAME as MAX_TOKEN_NAME
from shotlog.accounts.scripts import MAX_NAME as MAX_SCRIPT_NAME
from shotlog.server.rest.openapi_blocks import BEARER, MAX_ID, errors, json_body, ref

__all__ = ["SCHEMAS", "paths"]

_STAMP = {"type": "string", "nullable": True, "description": "UTC, ISO 8601 with Z"}
_SCRIPT = {
    "type": "object",
    "required": [
        "type",
        "id",
        "name",
        "description",
        "permission_rule_set",
        "sg_status_list",
        "has_key",
        "key_created_at",
    ],
    "properties": {
        "type": {"type": "string", "enum": ["ApiUser"]},
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "description": {"type": "string", "nullable": True},
        "permission_rule_set": {"type": "string", "nullable": True, "description": "the set's code"},
        "sg_status_list": {"type": "string"},
        "has_key": {"type": "boolean"},
        "key_created_at": _STAMP,
    },
}
_TOKEN = {
    "type": "object",
    "required": [
        "id",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_address",
        "expired",
    ],
    "properties": {
        "id": {"type": "integer"},
        "user": {
            "type": "object",
            "required": ["type", "id", "name"],
            "properties": {
                "type": {"type": "string", "enum": ["HumanUser"]},
                "id": {"type": "integer"},
                "name": {"type": "string", "nullable": True},
            },
        },
        "name": {"type": "string"},
        "created_at": {**_STAMP, "nullable": False},
        "expires_at": {**_STAMP, "nullable": False},
        "last_used_at": _STAMP,
        "last_used_address": {"type": "string", "nullable": True},
        "expired": {"type": "boolean"},
    },
}


def _data(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["data"], "properties": {"data": schema}}


def _with(schema: dict[str, Any], key: str, description: str) -> dict[str, Any]:
    """``schema`` and one more required string: a secret shown once."""
    return {
        **schema,
        "required": [*schema["required"], key],
        "properties": {**schema["properties"], key: {"type": "string", "description": description}},
    }


SCHEMAS: dict[str, Any] = {
    "Script": _data(_SCRIPT),
    "Scripts": _data({"type": "array", "items": _SCRIPT}),
    "ScriptKey": _data(_with(_SCRIPT, "script_key", "The new key: shown this once")),
    "AccessToken": _data(_with(_TOKEN, "token", "The token's secret: shown this once")),
    "AccessTokens": _data({"type": "array", "items": _TOKEN}),
}

_SCRIPT_REF = {
    "name": "script",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "description": "The script's id or its name (ApiUser.firstname)",
}
_NEW_SCRIPT = {
    "type": "object",
    "description": "ApiUser fields: the name as firstname (or name, not both), and any other field",
    "oneOf": [{"required": ["firstname"]}, {"required": ["name"]}],
    "properties": {
        "firstname": {"type": "string", "minLength": 1, "maxLength": MAX_SCRIPT_NAME},
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_SCRIPT_NAME},
        "description": {"type": "string", "nullable": True},
    },
}
_NEW_TOKEN = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TOKEN_NAME,
            "description": "What uses it",
        },
        "expires_in_days": {
            "nullable": True,
            "description": f"Days it lasts, 1 to {MAX_DAYS} (as a number or its digits); 30 when left out",
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_DAYS}, {"type": "string"}],
        },
    },
}


def paths() -> dict[str, Any]:
    token_id = {
        "name": "token",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    return {
        "/api/v1/scripts": {
            "get": {
                "operationId": "listScripts",
                "summary": "Every script (ApiUser) and whether it has a key (user administrators)",
                "security": BEARER,
                "responses": {"200": json_body(ref("Scripts"), "The scripts"), **errors()},
            },
            "post": {
                "operationId": "createScript",
                "summary": "Make a script and its key, answered this once (user administrators)",
                "security": BEARER,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _NEW_SCRIPT}}},
                "responses": {
                    "201": json_body(ref("ScriptKey"), "The script and its key"),
                    **errors(_409="A script of that name exists already"),
                },
            },
        },
        "/api/v1/scripts/{script}/key": {
            "post": {
                "operationId": "rotateScriptKey",
                "summary": "A new key for the script, answered this once; the old one is refused at once",
                "parameters": [_SCRIPT_REF],
                "security": BEARER,
                "responses": {"200": json_body(ref("ScriptKey"), "The script and its new key"), **errors()},
            },
            "delete": {
                "operationId": "revokeScriptKey",
                "summary": "Take the script's key away (a 400 naming the script when it has none)",
                "parameters": [_SCRIPT_REF],
                "security": BEARER,
                "responses": {"200": json_body(ref("Script"), "The script, without a key"), **errors()},
            },
        },
        "/api/v1/access_tokens": {
            "get": {
                "operationId": "listAccessTokens",
                "summary": "Personal access tokens: the caller's, one person's or (all=true) everyone's",
                "parameters": [
                    {
                        "name": "user_id",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "description": "The HumanUser whose tokens to list (theirs, or a user administrator)",
                    },
                    {
                        "name": "all",
                        "in": "query",
                        "schema": {"type": "boolean"},
                        "description": "true: every person's tokens (user administrators); not with user_id",
                    },
                ],
                "security": BEARER,
                "responses": {
                    "200": json_body(ref("AccessTokens"), "Newest first; never a secret"),
                    **errors(),
                },
            },
            "post": {
                "operationId": "createAccessToken",
                "summary": "Make a token for the calling person, its secret answered this once",
                "security": BEARER,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _NEW_TOKEN}}},
                "responses": {"201": json_body(ref("AccessToken"), "The token and its secret"), **errors()},
            },
        },
        "/api/v1/access_tokens/{token}": {
            "delete": {
                "operationId": "revokeAccessToken",
                "summary": "Revoke a token (its owner or a user administrator); writes ShotGrid_PAT_Removed",
                "parameters": [token_id],
                "security": BEARER,
                "responses": {"204": {"description": "Revoked: refused from now on"}, **errors()},
            }
        },
    }
