"""The package's import structure: layers only import downwards, and no module imports itself back.

docs/architecture.md draws these layers; this test is what keeps the drawing true. Imports inside
functions count (a deferred import is still a dependency); imports under ``if TYPE_CHECKING:`` do
not, since they exist only for annotations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "shotlog"
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

#: Bottom to top. A unit is a subpackage of shotlog or one of its top-level modules; a unit may
#: import units of its own layer or of a layer below, never one above.
LAYERS: list[set[str]] = [
    {"errors", "settings", "clock", "backoff", "telemetry"},
    {"schema"},
    {"values", "filelinks", "access"},
    {"query"},
    {"store"},
    {"eventlog"},
    {"connection", "shotlog"},
    {"accounts", "site"},
    {"export", "archive", "webhooks", "daemon", "actions", "demo", "files", "backup", "mirror"},
    {"web"},
    {"server"},
    {"cli", "__main__"},
]

#: Modules allowed past the size bound: they are declarations (tables, the default schema, the
#: OpenAPI document), not logic.
DECLARATIONS = {
    "shotlog.settings",
    "shotlog.store.tables",
    "shotlog.schema.defaults",
    "shotlog.server.rest.openapi",
}
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for sub in ast.walk(child):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def imports_of(path: Path) -> Iterator[str]:
    """The shotlog modules ``path`` imports, resolved to absolute names."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = _type_checking_lines(tree)
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "shotlog")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "shotlog":
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                yield candidate if _exists(candidate) else target


def _exists(module: str) -> bool:
    path = SRC.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "shotlog"


def layer_of(unit: str) -> int:
    for index, units in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"{unit!r} is in no layer: add it to LAYERS and to docs/architecture.md")


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "examples" not in p.parts)


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in sources():
        module = module_name(path)
        edges[module] = {target for target in imports_of(path) if target != module}
    return edges


def test_units_import_only_their_layer_or_below() -> None:
    upward = []
    for module, targets in graph().items():
        own = layer_of(unit_of(module))
        for target in targets:
            if layer_of(unit_of(target)) > own:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_cycle_between_modules() -> None:
    edges = graph()
    # A package's __init__ re-exporting its own modules is not a cycle of behaviour: its modules
    # importing the package name resolve to the module they need.
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if target.startswith(module + "."):
                continue
            if state.get(target) == 1:
                found.append(stack[stack.index(target) :] + [target])
            elif state.get(target) is None and target in edges:
                visit(target, stack)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    assert found == []


@pytest.mark.parametrize("path", sources(), ids=module_name)
def test_module_is_small(path: Path) -> None:
    if module_name(path) in DECLARATIONS:
        return
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_every_unit_is_in_the_architecture_layers() -> None:
    """docs/architecture.md's layer list names the same units, in the same order."""
    text = ARCHITECTURE.read_text()
    section = text.split("<!-- layers -->")[1].split("<!-- /layers -->")[0]
    documented = [
        {name.strip("`") for name in re.findall(r"`[a-z_]+`", line.partition(":")[0])}
        for line in section.splitlines()
        if line.strip().startswith(tuple("0123456789"))
    ]
    present = {unit_of(module_name(p)) for p in sources()}
    expected = [units & present for units in LAYERS]
    assert [units & present for units in documented] == expected


def _documented_paths(text: str) -> set[str]:
    """The module paths docs/architecture.md's module table names (``store/writer.py``...)."""
    table = text.split("<!-- modules -->")[1].split("<!-- /modules -->", maxsplit=1)[0]
    return set(re.findall(r"`([a-z_0-9/]+\.py)`", table))


def test_the_module_table_names_every_module_and_only_real_ones() -> None:
    documented = _documented_paths(ARCHITECTURE.read_text())
    present = {
        str(p.relative_to(PACKAGE))
        for p in sources()
        if p.name not in ("__init__.py", "__main__.py") and "migrations" not in p.parts
    }
    assert sorted(present - documented) == [], "modules missing from docs/architecture.md"
    assert sorted(documented - present) == [], "docs/architecture.md names modules that do not exist"


def test_only_the_event_log_and_the_store_touch_its_table() -> None:
    """Above the store, every reader and writer of the event log goes through ``eventlog/``."""
    outside = [
        module_name(path)
        for path in sources()
        if unit_of(module_name(path)) not in ("eventlog", "store")
        and re.search(r"\bevent_log_entries\b", "\n".join(_code_lines(path)))
    ]
    assert outside == []


def test_only_webhooks_and_the_store_touch_the_webhook_tables() -> None:
    """The archive (or anything else) asks ``webhooks/`` what it needs; one package owns the tables."""
    tables = r"\bwebhook_(hooks|cursor|deliveries|attempts|attempt_deliveries)\b"
    outside = [
        module_name(path)
        for path in sources()
        if unit_of(module_name(path)) not in ("webhooks", "store")
        and re.search(tables, "\n".join(_code_lines(path)))
    ]
    assert outside == []


def _code_lines(path: Path) -> list[str]:
    """The module's names and attributes as code uses them (docstrings and comments left out)."""
    tree = ast.parse(path.read_text())
    return [
        node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.Attribute | ast.alias)
    ]
