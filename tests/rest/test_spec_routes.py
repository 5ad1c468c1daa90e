"""Every REST route the application serves is in its OpenAPI document, and nothing else is.

The document is what schemathesis fuzzes (``test_fuzz.py``) and what generated clients are built
from: a route left out of it is neither fuzzed nor known to a client. The routes are read from the
built application (``server.app.create_app``), the document from the running server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from restkit import API, RestServer
from starlette.applications import Starlette
from starlette.routing import Route

import shotlog
from shotlog.server.app import create_app
from shotlog.server.rest.endpoint import EVERY_METHOD
from shotlog.server.rest.openapi import spec

#: the methods every route answers without a handler of its own (HEAD mirrors GET)
_IMPLIED = {"HEAD"}


@pytest.fixture
def app(db_url: str) -> Iterator[Starlette]:
    store = shotlog.connect(db_url)
    yield create_app(store)
    store.close()


def served(app: Starlette) -> dict[str, set[str]]:
    """The ``/api/v1`` paths the app routes, with their methods; a path that claims every method,
    to answer a wrong one 405 itself (as ``_search`` does), has ``*``: its document says what it
    takes."""
    out: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith(f"{API}/"):
            methods = set(route.methods or ()) - _IMPLIED
            claims_all = methods >= set(EVERY_METHOD) - _IMPLIED
            out.setdefault(route.path, set()).update({"*"} if claims_all else methods)
    return out


def documented(document: dict[str, object]) -> dict[str, set[str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {path: {m.upper() for m in ops} for path, ops in paths.items()}


def gaps(routes: dict[str, set[str]], doc: dict[str, set[str]]) -> tuple[dict[str, list[str]], ...]:
    """(served but not documented, documented but not served), by path: the methods, or [] for a
    whole path."""
    missing = {p: sorted(m - doc.get(p, set()) - {"*"}) for p, m in routes.items()}
    extra = {p: sorted(m - routes.get(p, m)) for p, m in doc.items() if "*" not in routes.get(p, ())}
    return (
        {p: m for p, m in missing.items() if m or p not in doc},
        {p: m for p, m in extra.items() if m or p not in routes},
    )


def test_every_served_rest_route_is_in_the_document(app: Starlette) -> None:
    missing, extra = gaps(served(app), documented(spec()))
    assert not missing, f"served but not in the OpenAPI document (server/rest/openapi*.py): {missing}"
    assert not extra, f"in the OpenAPI document but not served: {extra}"


def test_the_check_sees_a_missing_path_and_method(app: Starlette) -> None:
    """The check above can fail: a path or a method left out of the document is named."""
    doc = documented(spec())
    del doc[f"{API}/scripts"]
    doc[f"{API}/access_tokens"].discard("POST")
    missing, extra = gaps(served(app), doc)
    assert missing == {f"{API}/scripts": ["GET", "POST"], f"{API}/access_tokens": ["POST"]}
    assert not extra


def test_the_served_document_is_the_modules(rest: RestServer) -> None:
    """What the server answers at spec.json has every path (the entity names aside, the same)."""
    reply = rest.client().get(f"{API}/spec.json")
    assert reply.status_code == 200
    assert documented(reply.json()) == documented(spec())
    every_operation = [
        op for ops in reply.json()["paths"].values() for op in ops.values() if isinstance(op, dict)
    ]
    ids = [op["operationId"] for op in every_operation]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    for op in every_operation:
        assert "400" in op["responses"] or op["operationId"] == "accessToken"
