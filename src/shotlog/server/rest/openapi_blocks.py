"""Pieces every part of the OpenAPI document uses: references, JSON bodies, the error answers.

``server.rest.openapi`` assembles the document from its parts (entities and files, credentials,
webhooks, the event stream and the other services); each part builds its paths from these, so an
error answer is described the same way on every path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BEARER", "ERRORS", "MAX_ID", "errors", "json_body", "ref"]

#: ids are positive 64-bit integers
MAX_ID = 2**63 - 1

#: the security requirement of every path but the token endpoint and the document itself
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def ref(name: str) -> dict[str, str]:
    """A reference to ``#/components/schemas/<name>``."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A response (or request body) of JSON matching ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: the error answers, each in FPTR's ``{"errors": [...]}`` envelope (``Errors``)
ERRORS: dict[str, Any] = {
    "400": json_body(ref("Errors"), "Bad request: the errors say which parameter, field or value"),
    "401": json_body(ref("Errors"), "Missing, invalid or expired access token (code 102)"),
    "403": json_body(ref("Errors"), "Not allowed (for example changing the event log)"),
    "404": json_body(ref("Errors"), "Unknown entity type, id or field"),
    "405": json_body(ref("Errors"), "The path does not take this method"),
    "408": json_body(
        ref("Errors"), "The body did not arrive in time (SHOTLOG_BODY_TIMEOUT); the connection closes"
    ),
    "409": json_body(ref("Errors"), "A unique value is taken"),
    "413": json_body(ref("Errors"), "The body is larger than the endpoint takes; the title names the limit"),
    "503": json_body(ref("Errors"), "The database is unavailable or busy; retry"),
}


def errors(**described: str) -> dict[str, Any]:
    """``ERRORS`` and the answers a path adds, described (``_415="..."``: the leading underscore
    makes the status a keyword) or with a description of their own for this path."""
    out = dict(ERRORS)
    for key, description in described.items():
        out[key.lstrip("_")] = json_body(ref("Errors"), description)
    return dict(sorted(out.items()))
