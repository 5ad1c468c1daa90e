"""Docs that can drift are checked: the CLI reference, the settings, the Python API.

Regenerate the CLI reference and the settings tables with
``SHOTLOG_UPDATE_DOCS=1 python -m pytest tests/test_docs.py``.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
from pathlib import Path

import click
from click.testing import CliRunner

import shotlog
from shotlog import settings
from shotlog.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
SRC = Path(shotlog.__file__).resolve().parent


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out = [prefix]
    for name in sorted(group.commands):
        cmd = group.commands[name]
        if isinstance(cmd, click.Group):
            out += _commands(cmd, [*prefix, name])
        else:
            out.append([*prefix, name])
    return out


def render_cli_reference() -> str:
    parts = [
        "# CLI reference\n",
        "Generated from `shotlog --help` by tests/test_docs.py; do not edit by hand.\n",
    ]
    runner = CliRunner()
    for path in _commands(main, []):
        result = runner.invoke(main, [*path, "--help"], terminal_width=100, env={"COLUMNS": "100"})
        assert result.exit_code == 0, result.output
        parts.append(f"## shotlog {' '.join(path)}".rstrip() + "\n")
        parts.append("```\n" + result.output.replace("Usage: main", "Usage: shotlog").rstrip() + "\n```\n")
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    text = render_cli_reference()
    target = DOCS / "cli.md"
    if os.environ.get("SHOTLOG_UPDATE_DOCS"):
        target.write_text(text)
    assert target.read_text() == text, "docs/cli.md is stale: SHOTLOG_UPDATE_DOCS=1 pytest tests/test_docs.py"


def test_settings_tables_are_generated_from_the_declarations() -> None:
    target = DOCS / "configuration.md"
    text = target.read_text()
    fresh = settings.update_markdown(text)
    if os.environ.get("SHOTLOG_UPDATE_DOCS"):
        target.write_text(fresh)
    assert text == fresh, "docs/configuration.md is stale: SHOTLOG_UPDATE_DOCS=1 pytest tests/test_docs.py"


# Modules that read the environment for something other than a SHOTLOG_ setting: the daemon's
# configuration file expands any ${NAME}; boto3's region variable; the plugin template and the
# sample plugins are user code with variables of their own.
# cli/serve.py writes one: --demo gives its own run the archive it made (SHOTLOG_ARCHIVE_URL, if unset)
_OTHER_ENVIRONMENT_READERS = {
    "settings.py",
    "daemon/conf.py",
    "files/s3.py",
    "daemon/template.py",
    "cli/serve.py",
}


def test_every_shotlog_variable_is_declared_and_read_in_the_settings_module() -> None:
    declared = {s.name for s in settings.ALL}
    families = tuple(f.prefix for f in settings.FAMILIES)
    named = re.compile(r"SHOTLOG_[A-Z0-9_]+")
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("daemon/examples/"):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "envvar":
                # Click would read the variable itself, past the settings' parsers and messages
                problems.append(f"{where}:{node.lineno} passes envvar=: use cli.common.from_setting")
            elif isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                if where not in _OTHER_ENVIRONMENT_READERS:
                    problems.append(f"{where}:{node.lineno} reads os.{node.attr}: use shotlog.settings")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and named.fullmatch(node.value)
                and where != "settings.py"
            ):
                problems.append(f"{where}:{node.lineno} names {node.value}: use its Setting's .name")
        for name in named.findall(path.read_text()):
            # a trailing _ is a family in prose (SHOTLOG_WEBHOOKS_*); the docs' own switch is the suite's
            known = name in declared or name.endswith("_") or name == "SHOTLOG_UPDATE_DOCS"
            if not known and not name.startswith(families):
                problems.append(f"{where} mentions {name}, which shotlog.settings does not declare")
    assert not problems, "\n".join(problems)


def test_settings_sit_at_the_bottom_layer() -> None:
    tree = ast.parse((SRC / "settings.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shotlog")
    }
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("shotlog")
    }
    assert imported <= {"shotlog.errors"}


def test_every_public_method_is_documented() -> None:
    text = (DOCS / "python-api.md").read_text()
    public = [n for n, m in inspect.getmembers(shotlog.Shotlog, inspect.isfunction) if not n.startswith("_")]
    missing = [n for n in public if n not in ("close",) and f"{n}(" not in text]
    assert not missing, f"undocumented Shotlog methods: {missing}"


def test_readme_has_exactly_the_two_setup_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in setup.strip().splitlines()]
    assert commands == ["make serve", "make test"]
    makefile = (DOCS.parent / "Makefile").read_text()
    assert "shotlog serve" in makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
