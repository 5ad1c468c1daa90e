"""pyproject.toml declares what src/shotlog imports, and imports what it declares.

A package that is only installed because another one brings it along (uvloop and watchfiles came
with ``uvicorn[standard]``) breaks the day that one stops bringing it; a declared package nothing
imports is a download and an attack surface for nothing.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import shotlog

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(shotlog.__file__).resolve().parent

#: declared, though shotlog never imports them by name: another package loads them
NOT_IMPORTED = {
    "python-multipart",  # starlette's form parser (Request.form()) imports it
    "httptools",  # uvicorn's httptools protocol, which server/listener.py subclasses, imports it
}
#: the optional-dependency groups that are part of shotlog at run time (dev is the test suite's)
RUNTIME_EXTRAS = ("s3",)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert match, requirement
    return _normalized(match.group())


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in RUNTIME_EXTRAS:
        requirements += project["optional-dependencies"][extra]
    return {_requirement_name(r) for r in requirements}


def imported_modules() -> dict[str, str]:
    """Each third-party top-level module src/shotlog imports -> one place that imports it."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where.startswith(("daemon/examples/", "store/migrations/")):
            continue  # user plugins and generated migration scripts: not shotlog's own imports
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "shotlog" and top not in sys.stdlib_module_names:
                    found.setdefault(top, f"{where}:{node.lineno}")
    return found


def test_every_imported_package_is_declared() -> None:
    distributions = importlib.metadata.packages_distributions()
    wanted = declared()
    missing = []
    for module, where in sorted(imported_modules().items()):
        provided_by = {_normalized(d) for d in distributions.get(module, [])}
        if not provided_by & wanted:
            missing.append(f"{module} ({where}), from {sorted(provided_by) or 'no installed package'}")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)


def test_every_declared_package_is_imported() -> None:
    distributions = importlib.metadata.packages_distributions()
    used = {_normalized(d) for module in imported_modules() for d in distributions.get(module, [])}
    unused = sorted(declared() - used - NOT_IMPORTED)
    assert not unused, f"declared in pyproject.toml but imported nowhere in src/shotlog: {unused}"
