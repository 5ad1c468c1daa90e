"""Docs that can drift are checked: the CLI reference, the settings, the Python API.

Regenerate the CLI reference with ``SHOTLOG_UPDATE_DOCS=1 python -m pytest tests/test_docs.py``.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import click
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.config import SETTINGS_DOC

DOCS = Path(__file__).resolve().parent.parent / "docs"


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


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    for name, (default, _description) in SETTINGS_DOC.items():
        assert f"`{name}`" in text, name
        assert f"`{default}`" in text, (name, default)


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
