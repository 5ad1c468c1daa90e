"""The OpenAPI 3 document of the REST API, served at ``/api/v1/spec.json``."""

from __future__ import annotations

from typing import Any

import shotlog

__all__ = ["spec"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Errors"), "Bad request: the errors say which parameter or value"),
    "401": _json(_ref("Errors"), "Missing, invalid or expired access token"),
    "403": _json(_ref("Errors"), "Not allowed"),
    "404": _json(_ref("Errors"), "Unknown entity type, id or field"),
    "409": _json(_ref("Errors"), "A unique value is taken"),
}

_ENTITY = {
    "name": "entity",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Entity type: `Shot` or its plural snake-case URL name `shots`",
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_FIELDS = {
    "name": "fields",
    "in": "query",
    "schema": {"type": "string"},
    "description": "Comma-separated fields, or * for all",
}
_QUERY = [
    _FIELDS,
    {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "e.g. -created_at,code"},
    {"name": "page[number]", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "page[size]", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
    {
        "name": "options[return_only]",
        "in": "query",
        "schema": {"type": "string", "enum": ["active", "retired"]},
    },
    {"name": "options[include_archived_projects]", "in": "query", "schema": {"type": "boolean"}},
]


def spec() -> dict[str, Any]:
    entity_paths: dict[str, dict[str, Any]] = {
        "get": {
            "summary": "List entities (simple filters as filter[field]=value)",
            "parameters": [_ENTITY, *_QUERY],
            "responses": {"200": _json(_ref("Collection"), "A page of records"), **_ERRORS},
        },
        "post": {
            "summary": "Create an entity",
            "parameters": [_ENTITY, {"name": "options[fields]", "in": "query", "schema": {"type": "string"}}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {"201": _json(_ref("One"), "The created record"), **_ERRORS},
        },
    }
    one_paths: dict[str, dict[str, Any]] = {
        "get": {
            "summary": "Read one entity",
            "parameters": [_ENTITY, _ID, _FIELDS],
            "responses": {"200": _json(_ref("One"), "The record"), **_ERRORS},
        },
        "put": {
            "summary": "Update an entity",
            "parameters": [_ENTITY, _ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {"200": _json(_ref("One"), "The updated fields"), **_ERRORS},
        },
        "delete": {
            "summary": "Delete (retire) an entity",
            "parameters": [_ENTITY, _ID],
            "responses": {"204": {"description": "Retired"}, **_ERRORS},
        },
        "post": {
            "summary": "Revive a retired entity (?revive=true)",
            "parameters": [
                _ENTITY,
                _ID,
                {
                    "name": "revive",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": ["true"]},
                },
            ],
            "responses": {
                "200": _json({"type": "object"}, "Revived (meta.revived false if it was active)"),
                **_ERRORS,
            },
        },
    }
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    for op in (*entity_paths.values(), *one_paths.values()):
        op["security"] = bearer
    paths: dict[str, Any] = {
        "/api/v1/auth/access_token": {
            "post": {
                "summary": "Get an access token",
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
                "responses": {"200": _json(_ref("Token"), "Tokens"), "400": _ERRORS["400"]},
            }
        },
        "/api/v1/entity/{entity}": entity_paths,
        "/api/v1/entity/{entity}/_search": {
            "post": {
                "summary": "Search with FPTR filters (array or hash form)",
                "parameters": [_ENTITY],
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Search")}},
                },
                "responses": {"200": _json(_ref("Collection"), "A page of records"), **_ERRORS},
            }
        },
        "/api/v1/entity/{entity}/{id}": one_paths,
        "/api/v1/schema/{entity}": {
            "get": {
                "summary": "An entity type's schema",
                "parameters": [_ENTITY],
                "security": bearer,
                "responses": {"200": _json({"type": "object"}, "Schema"), **_ERRORS},
            }
        },
        "/api/v1/schema/{entity}/fields": {
            "get": {
                "summary": "An entity type's fields",
                "parameters": [_ENTITY],
                "security": bearer,
                "responses": {"200": _json({"type": "object"}, "Fields"), **_ERRORS},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "shotlog REST API (FPTR-compatible)", "version": shotlog.__version__},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Record": {
                    "type": "object",
                    "required": ["type", "id", "attributes", "relationships", "links"],
                    "properties": {
                        "type": {"type": "string"},
                        "id": {"type": "integer"},
                        "attributes": {"type": "object"},
                        "relationships": {"type": "object"},
                        "links": {"type": "object"},
                    },
                },
                "One": {"type": "object", "required": ["data"], "properties": {"data": _ref("Record")}},
                "Collection": {
                    "type": "object",
                    "required": ["data", "links"],
                    "properties": {
                        "data": {"type": "array", "items": _ref("Record")},
                        "links": {"type": "object"},
                    },
                },
                "Search": {
                    "type": "object",
                    "properties": {
                        "filters": {"oneOf": [{"type": "array"}, {"type": "object"}]},
                        "fields": {
                            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
                        },
                        "sort": {"type": "string"},
                        "page": {
                            "type": "object",
                            "properties": {
                                "number": {"type": "integer", "minimum": 1},
                                "size": {"type": "integer", "minimum": 1, "maximum": 500},
                            },
                        },
                        "options": {"type": "object"},
                    },
                },
                "Token": {
                    "type": "object",
                    "required": ["token_type", "access_token", "expires_in", "refresh_token"],
                    "properties": {
                        "token_type": {"type": "string"},
                        "access_token": {"type": "string"},
                        "expires_in": {"type": "integer"},
                        "refresh_token": {"type": "string"},
                    },
                },
                "Errors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["status", "code", "title"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "status": {"type": "integer"},
                                    "code": {"type": "integer"},
                                    "title": {"type": "string"},
                                    "source": {"type": "object"},
                                },
                            },
                        }
                    },
                },
            },
        },
    }
