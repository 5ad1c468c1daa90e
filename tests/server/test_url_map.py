"""docs/architecture.md's URL map is the application's, and every route is written in server/app.py.

The docs' table between the ``url-map`` markers is generated from the built application; when a
route changes, regenerate it with ``SHOTLOG_UPDATE_DOCS=1 python -m pytest tests/server/test_url_map.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

import shotlog
from shotlog.server import app as app_module
from shotlog.server.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- url-map: generated from server/app.py, checked by tests/server/test_url_map.py -->"
END = "<!-- /url-map -->"


@pytest.fixture
def app(db_url: str) -> Iterator[Starlette]:
    store = shotlog.connect(db_url)
    yield create_app(store)
    store.close()


def _path(route: BaseRoute) -> str:
    assert isinstance(route, Route | Mount), route
    return route.path


def _methods(route: BaseRoute) -> str:
    methods = getattr(route, "methods", None)
    if isinstance(route, Mount):
        return "GET (files)"
    if not methods:
        return "any"
    return ", ".join(sorted(m for m in methods if m != "HEAD"))


def url_map(app: Starlette) -> str:
    """The docs' table: every route in the order the router tries them."""
    lines = ["| Path | Methods |", "| --- | --- |"]
    lines += [f"| `{_path(r)}` | {_methods(r)} |" for r in app.routes]
    return "\n".join(lines)


def test_the_docs_url_map_is_the_apps(app: Starlette) -> None:
    text = DOC.read_text()
    assert BEGIN in text and END in text, f"docs/architecture.md needs the {BEGIN} ... {END} section"
    head, rest = text.split(BEGIN, 1)
    documented, tail = rest.split(END, 1)
    expected = url_map(app)
    if os.environ.get("SHOTLOG_UPDATE_DOCS"):
        DOC.write_text(f"{head}{BEGIN}\n{expected}\n{END}{tail}")
    assert documented.strip() == expected, (
        "docs/architecture.md's URL map is stale: SHOTLOG_UPDATE_DOCS=1 pytest tests/server/test_url_map.py"
    )


def test_every_route_is_written_in_server_app(app: Starlette) -> None:
    """The URL map reads in one place: each path is a literal in server/app.py, not built elsewhere."""
    source = Path(app_module.__file__).read_text()
    literals = set(re.findall(r'"(/[^"]*)"', source))
    missing = [_path(r) for r in app.routes if _path(r) not in literals and _path(r) != app_module.API3_PATH]
    assert not missing, f"routes not written in server/app.py: {missing}"
    assert f'API3_PATH = "{app_module.API3_PATH}"' in source
