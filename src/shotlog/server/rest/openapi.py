"""The OpenAPI 3 document of the REST API, served at ``/api/v1/spec.json``.

Every ``/api/v1`` route is in it (``tests/rest/test_spec_routes.py`` fails otherwise). This module
holds the entity, schema, file and rule set paths; credentials, webhooks and the other services
are their own parts (``openapi_credentials``, ``openapi_webhooks``, ``openapi_services``), built
from ``openapi_blocks``. The document is data. ``spec(entity_names)`` lists the site's entity
types as the ``{entity}`` enum, so a generated client (or a property-based tester) names real
types; without names any string is allowed. Every status a route can answer is listed, with the
error envelope's schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shotlog
from shotlog.server.rest import openapi_credentials, openapi_services, openapi_webhooks
from shotlog.server.rest.openapi_blocks import BEARER, MAX_ID
from shotlog.server.rest.openapi_blocks import ERRORS as _ERRORS
from shotlog.server.rest.openapi_blocks import json_body as _json
from shotlog.server.rest.openapi_blocks import ref as _ref

__all__ = ["MAX_ID", "MAX_PAGE", "MAX_PAGE_NUMBER", "spec"]

#: Largest ``page[size]``.
MAX_PAGE = 500
#: Largest ``page[number]`` (keeps the row offset far inside 64 bits).
MAX_PAGE_NUMBER = 2**31 - 1


_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
_FIELDS = {
    "name": "fields",
    "in": "query",
    "schema": {"type": "string"},
    "description": "Comma-separated fields (deep fields such as project.Project.name too), or * for all",
}
_OPTIONS = [
    {
        "name": "options[return_only]",
        "in": "query",
        "schema": {"type": "string", "enum": ["active", "retired"]},
    },
    {"name": "options[include_archived_projects]", "in": "query", "schema": {"type": "boolean"}},
]
_QUERY = [
    _FIELDS,
    {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "e.g. -created_at,code"},
    {
        "name": "page[number]",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
    },
    {"name": "page[size]", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
    *_OPTIONS,
]
_FIELD_VALUES = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object"}, "example": {}}},
}


def _entity(names: Sequence[str] | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if names:
        schema["enum"] = list(names)
    return {
        "name": "entity",
        "in": "path",
        "required": True,
        "schema": schema,
        "description": "Entity type: its plural snake-case URL name `shots` or the type `Shot`",
    }


def _by_id(operation_id: str) -> dict[str, Any]:
    """An OpenAPI link from a response holding ``data.id`` to an operation on that record."""
    return {
        "operationId": operation_id,
        "parameters": {"entity": "$request.path.entity", "id": "$response.body#/data/id"},
    }


def spec(entity_names: Sequence[str] | None = None) -> dict[str, Any]:
    entity = _entity(entity_names)
    record_links = {
        "ReadEntity": _by_id("readEntity"),
        "UpdateEntity": _by_id("updateEntity"),
        "DeleteEntity": _by_id("deleteEntity"),
    }
    entity_paths: dict[str, dict[str, Any]] = {
        "get": {
            "operationId": "listEntities",
            "summary": "List entities (simple filters as filter[field]=value or =a,b for `in`)",
            "parameters": [entity, *_QUERY],
            "responses": {"200": _json(_ref("Collection"), "A page of records"), **_ERRORS},
        },
        "post": {
            "operationId": "createEntity",
            "summary": "Create an entity",
            "parameters": [entity, {"name": "options[fields]", "in": "query", "schema": {"type": "string"}}],
            "requestBody": _FIELD_VALUES,
            "responses": {
                "201": {**_json(_ref("One"), "The created record"), "links": record_links},
                **_ERRORS,
            },
        },
    }
    one_paths: dict[str, dict[str, Any]] = {
        "get": {
            "operationId": "readEntity",
            "summary": "Read one entity",
            "parameters": [entity, _ID, _FIELDS, *_OPTIONS],
            "responses": {"200": _json(_ref("One"), "The record"), **_ERRORS},
        },
        "put": {
            "operationId": "updateEntity",
            "summary": "Update an entity",
            "parameters": [entity, _ID],
            "requestBody": _FIELD_VALUES,
            "responses": {"200": _json(_ref("One"), "The record with the updated fields"), **_ERRORS},
        },
        "delete": {
            "operationId": "deleteEntity",
            "summary": "Delete (retire) an entity",
            "parameters": [entity, _ID],
            "responses": {
                "204": {
                    "description": "Retired",
                    "links": {
                        "ReviveEntity": {
                            "operationId": "reviveEntity",
                            "parameters": {
                                "entity": "$request.path.entity",
                                "id": "$request.path.id",
                                "revive": "true",
                            },
                        }
                    },
                },
                **_ERRORS,
            },
        },
        "post": {
            "operationId": "reviveEntity",
            "summary": "Revive a retired entity (?revive=true)",
            "parameters": [
                entity,
                _ID,
                {
                    "name": "revive",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": ["true"]},
                },
            ],
            "responses": {
                "200": _json(_ref("Revived"), "Revived (meta.revived is false if it was active)"),
                **_ERRORS,
            },
        },
    }
    bearer = BEARER
    for op in (*entity_paths.values(), *one_paths.values()):
        op["security"] = bearer
    paths: dict[str, Any] = {
        "/api/v1/auth/access_token": {
            "post": {
                "operationId": "accessToken",
                "summary": "Get an access token (parameters form-encoded or in the query string)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["grant_type"],
                                "properties": {
                                    "grant_type": {
                                        "type": "string",
                                        "enum": [
                                            "client_credentials",
                                            "password",
                                            "refresh_token",
                                            "session_token",
                                        ],
                                    },
                                    "client_id": {"type": "string"},
                                    "client_secret": {"type": "string"},
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                    "refresh_token": {"type": "string"},
                                    "session_token": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Token"), "Tokens"),
                    "400": _json(_ref("Errors"), "Unknown grant_type, or bad credentials (code 102)"),
                    "405": _ERRORS["405"],
                    "408": _ERRORS["408"],
                    "413": _ERRORS["413"],
                    "429": _json(
                        _ref("Errors"), "Too many failed sign-ins of the user or the address; see Retry-After"
                    ),
                    "503": _ERRORS["503"],
                },
            }
        },
        "/api/v1/entity/{entity}": entity_paths,
        "/api/v1/entity/{entity}/_search": {
            "post": {
                "operationId": "searchEntities",
                "summary": "Search with FPTR filters (array or hash form)",
                "parameters": [entity, *_QUERY],
                "security": bearer,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {"schema": _ref("Search")},
                        "application/vnd+shotgun.api3_array+json": {"schema": _ref("Search")},
                        "application/vnd+shotgun.api3_hash+json": {"schema": _ref("Search")},
                    },
                },
                "responses": {"200": _json(_ref("Collection"), "A page of records"), **_ERRORS},
            }
        },
        "/api/v1/entity/{entity}/{id}": one_paths,
        **_file_paths(entity, bearer),
        "/api/v1/schema/{entity}": {
            "get": {
                "operationId": "readEntitySchema",
                "summary": "An entity type's schema",
                "parameters": [entity],
                "security": bearer,
                "responses": {"200": _json(_ref("SchemaOne"), "Schema"), **_ERRORS},
            }
        },
        "/api/v1/schema/{entity}/fields": {
            "get": {
                "operationId": "readFieldSchemas",
                "summary": "An entity type's fields",
                "parameters": [entity],
                "security": bearer,
                "responses": {"200": _json(_ref("SchemaOne"), "Fields by name"), **_ERRORS},
            }
        },
        "/api/v1/schema/{entity}/fields/{field}": {
            "get": {
                "operationId": "readFieldSchema",
                "summary": "One field of an entity type",
                "parameters": [
                    entity,
                    {"name": "field", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "security": bearer,
                "responses": {"200": _json(_ref("SchemaOne"), "The field's schema"), **_ERRORS},
            }
        },
    }
    paths.update(_rule_set_paths(bearer))
    paths.update(openapi_credentials.paths())
    paths.update(openapi_webhooks.paths())
    paths.update(openapi_services.paths())
    return {
        "openapi": "3.0.3",
        "info": {"title": "shotlog REST API (FPTR-compatible)", "version": shotlog.__version__},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **_SCHEMAS,
                **openapi_credentials.SCHEMAS,
                **openapi_webhooks.SCHEMAS,
                **openapi_services.SCHEMAS,
            },
        },
    }


def _rule_set_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    """Permission rule sets (``server.rest.rule_sets``): read them, change one rule."""
    one = {
        "name": "rule_set",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The set's id or its name (code), e.g. Artist",
    }
    change = {
        "type": "object",
        "required": ["operation", "allowed"],
        "properties": {
            "entity_type": {"type": "string", "description": "A type, * for every type, empty for the site"},
            "field": {"type": "string", "description": "A field of entity_type; left out for the whole type"},
            "operation": {"type": "string", "description": "create, read, update, delete or a capability"},
            "allowed": {"type": "boolean", "nullable": True, "description": "null removes the rule"},
        },
    }
    return {
        "/api/v1/permission_rule_sets": {
            "get": {
                "operationId": "listPermissionRuleSets",
                "summary": "Every permission rule set with its rules",
                "security": bearer,
                "responses": {"200": _json(_ref("RuleSets"), "The rule sets"), **_ERRORS},
            }
        },
        "/api/v1/permission_rule_sets/{rule_set}": {
            "get": {
                "operationId": "readPermissionRuleSet",
                "summary": "One permission rule set with its rules",
                "parameters": [one],
                "security": bearer,
                "responses": {"200": _json(_ref("RuleSetOne"), "The rule set"), **_ERRORS},
            }
        },
        "/api/v1/permission_rule_sets/{rule_set}/rules": {
            "patch": {
                "operationId": "changePermissionRule",
                "summary": "Set or remove one rule (user administrators); writes its FPTR event",
                "parameters": [one],
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": change}}},
                "responses": {"200": _json(_ref("RuleSetOne"), "The rule set as it is now"), **_ERRORS},
            }
        },
    }


_FIELD = {"name": "field", "in": "path", "required": True, "schema": {"type": "string"}}
_UPLOAD_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("UploadCompletion")}},
}


def _file_paths(entity: dict[str, Any], bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    """FPTR's upload paths, to a record (an Attachment linked to it) and to a field (a thumbnail
    for ``image``/``filmstrip_image``, else a File/Link field), and the file field read."""
    paths: dict[str, Any] = {}
    for prefix, params, what in (
        ("/api/v1/entity/{entity}/{id}", [entity, _ID], "a record"),
        ("/api/v1/entity/{entity}/{id}/{field}", [entity, _ID, _FIELD], "a field"),
    ):
        tag = "Field" if "field" in prefix else "Record"
        paths[f"{prefix}/_upload"] = {
            "get": {
                "operationId": f"uploadUrl{tag}",
                "summary": f"Announce an upload to {what}: where to PUT the bytes, and what to send back",
                "parameters": [
                    *params,
                    {"name": "filename", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "multipart_upload", "in": "query", "schema": {"type": "boolean"}},
                ],
                "security": bearer,
                "responses": {"200": _json(_ref("UploadInfo"), "The upload's info and links"), **_ERRORS},
            },
            "post": {
                "operationId": f"uploadComplete{tag}",
                "summary": f"Link an uploaded file to {what}",
                "parameters": params,
                "security": bearer,
                "requestBody": _UPLOAD_BODY,
                "responses": {"201": _json(_ref("One"), "The Attachment made"), **_ERRORS},
            },
        }
        paths[f"{prefix}/_upload/multipart"] = {
            "get": {
                "operationId": f"uploadNextPart{tag}",
                "summary": "Where to PUT the next part of a multipart upload",
                "parameters": [
                    *params,
                    {"name": "upload_id", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "part_number", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "filename", "in": "query", "schema": {"type": "string"}},
                    {"name": "timestamp", "in": "query", "schema": {"type": "string"}},
                ],
                "security": bearer,
                "responses": {
                    "200": _json({"type": "object"}, "links.upload and links.get_next_part"),
                    **_ERRORS,
                },
            }
        }
        paths[f"{prefix}/_upload/multipart_abort"] = {
            "post": {
                "operationId": f"uploadAbort{tag}",
                "summary": "Give up a multipart upload",
                "parameters": params,
                "security": bearer,
                "requestBody": _UPLOAD_BODY,
                "responses": {"204": {"description": "Aborted"}, **_ERRORS},
            }
        }
    paths["/api/v1/entity/{entity}/{id}/{field}"] = {
        "get": {
            "operationId": "readFileField",
            "summary": "Read a file field (image, filmstrip_image, File/Link); ?alt redirects to the file",
            "parameters": [
                entity,
                _ID,
                _FIELD,
                {
                    "name": "alt",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["original", "thumbnail"]},
                },
            ],
            "security": bearer,
            "responses": {
                "200": _json({"type": "object"}, "data: the field's value, with its URL"),
                "302": {"description": "The file (with alt)"},
                **_ERRORS,
            },
        }
    }
    return paths


_LINK = {
    "type": "object",
    "required": ["type", "id"],
    "properties": {"type": {"type": "string"}, "id": {"type": "integer"}},
}
_SELF = {"type": "object", "required": ["self"], "properties": {"self": {"type": "string"}}}

_RULE_SET = {
    "type": "object",
    "required": ["type", "id", "code", "kind", "rules"],
    "properties": {
        "type": {"type": "string", "enum": ["PermissionRuleSet"]},
        "id": {"type": "integer"},
        "code": {"type": "string"},
        "kind": {"type": "string", "enum": ["HumanUser", "ApiUser"]},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["entity_type", "field", "operation", "allowed"],
                "properties": {
                    "entity_type": {"type": "string"},
                    "field": {"type": "string"},
                    "operation": {"type": "string"},
                    "allowed": {"type": "boolean"},
                },
            },
        },
    },
}
_SCHEMAS: dict[str, Any] = {
    "RuleSets": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": _RULE_SET}},
    },
    "RuleSetOne": {"type": "object", "required": ["data"], "properties": {"data": _RULE_SET}},
    "Record": {
        "type": "object",
        "required": ["type", "id", "attributes", "relationships", "links"],
        "properties": {
            "type": {"type": "string"},
            "id": {"type": "integer"},
            "attributes": {"type": "object"},
            "relationships": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "data": {"nullable": True, "oneOf": [_LINK, {"type": "array", "items": _LINK}]},
                        "links": {
                            "type": "object",
                            "properties": {"related": {"type": "string"}},
                        },
                    },
                },
            },
            "links": _SELF,
        },
    },
    "One": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {"data": _ref("Record"), "links": _SELF},
    },
    "Collection": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {
            "data": {"type": "array", "items": _ref("Record")},
            "links": {
                "type": "object",
                "required": ["self"],
                "properties": {
                    "self": {"type": "string"},
                    "next": {"type": "string"},
                    "prev": {"type": "string"},
                },
            },
        },
    },
    "Revived": {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": _LINK,
            "meta": {
                "type": "object",
                "required": ["revived"],
                "properties": {"revived": {"type": "boolean"}},
            },
        },
    },
    "SchemaOne": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {"data": {"type": "object"}, "links": _SELF},
    },
    "Search": {
        "type": "object",
        "properties": {
            "filters": {
                "oneOf": [
                    {"type": "array", "items": {"oneOf": [{"type": "array"}, {"type": "object"}]}},
                    {
                        "type": "object",
                        "properties": {
                            "logical_operator": {"type": "string", "enum": ["and", "or"]},
                            "conditions": {"type": "array"},
                        },
                        "additionalProperties": False,
                    },
                ]
            },
            "fields": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "sort": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "page": {
                "type": "object",
                "properties": {
                    "number": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
                    "size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                },
            },
            "options": {
                "type": "object",
                "properties": {
                    "return_only": {"type": "string", "enum": ["active", "retired"]},
                    "include_archived_projects": {"type": "boolean"},
                },
            },
        },
    },
    "Token": {
        "type": "object",
        "required": ["token_type", "access_token", "expires_in", "refresh_token"],
        "properties": {
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "access_token": {"type": "string"},
            "expires_in": {"type": "integer"},
            "refresh_token": {"type": "string"},
        },
    },
    "UploadInfo": {
        "type": "object",
        "required": ["data", "links"],
        "properties": {
            "data": {
                "type": "object",
                "properties": {
                    "timestamp": {"type": "string"},
                    "upload_type": {"type": "string", "enum": ["Attachment", "Thumbnail"]},
                    "upload_id": {"type": "string"},
                    "storage_service": {"type": "string"},
                    "original_filename": {"type": "string"},
                    "multipart_upload": {"type": "boolean"},
                },
            },
            "links": {
                "type": "object",
                "properties": {
                    "upload": {"type": "string"},
                    "complete_upload": {"type": "string"},
                    "get_next_part": {"type": "string"},
                },
            },
        },
    },
    "UploadCompletion": {
        "type": "object",
        "required": ["upload_info"],
        "properties": {
            "upload_info": {
                "type": "object",
                "description": "data of the GET, with etags of a multipart upload",
            },
            "upload_data": {
                "type": "object",
                "properties": {"display_name": {"type": "string"}, "tags": {"type": "array"}},
            },
        },
    },
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "status", "code", "title", "source"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"type": "integer"},
                        "code": {"type": "integer"},
                        "title": {"type": "string"},
                        "source": {"type": "object"},
                        "detail": {"type": "string", "nullable": True},
                        "meta": {"type": "object", "nullable": True},
                    },
                },
            }
        },
    },
}
