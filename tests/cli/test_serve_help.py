"""``shotlog serve --help`` names the variable each option falls back to, and the other settings serve
reads; the variables are still read by ``shotlog.settings`` (its messages, its "blank is unset")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shotlog.cli import main

OPTIONS = {
    "--database": "SHOTLOG_DATABASE_URL",
    "--host": "SHOTLOG_HOST",
    "--port": "SHOTLOG_PORT",
    "--keepalive": "SHOTLOG_KEEPALIVE_SECONDS",
    "--max-idle-connections": "SHOTLOG_MAX_IDLE_CONNECTIONS",
    "--tls-cert": "SHOTLOG_TLS_CERT",
    "--tls-key": "SHOTLOG_TLS_KEY",
}


def _help() -> str:
    result = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("option", "variable"), OPTIONS.items())
def test_each_option_names_its_variable(option: str, variable: str) -> None:
    # the option's own entry (up to the next option) says [env var: ...]
    entry = re.search(rf"^\s+(?:-\w, )?{option} .*?(?=^\s+-)", _help(), re.M | re.S)
    assert entry is not None, _help()
    assert f"env var: {variable}" in " ".join(entry.group(0).split()), entry.group(0)


def test_the_other_settings_serve_reads_are_named() -> None:
    text = " ".join(_help().split())
    for variable in (
        "SHOTLOG_LOG_FORMAT",
        "SHOTLOG_METRICS_ADDRESS",
        "SHOTLOG_FILES_URL",
        "SHOTLOG_WEBHOOKS",
    ):
        assert variable in text
    assert "docs/configuration.md" in text


def test_the_settings_module_still_reads_the_variables(tmp_path: Path) -> None:
    never = tmp_path / "never.db"
    refused = CliRunner().invoke(main, ["serve", "-d", f"sqlite:///{never}"], env={"SHOTLOG_PORT": "eighty"})
    assert refused.exit_code == 2
    assert "SHOTLOG_PORT must be a number, got 'eighty'" in refused.output
    assert not never.exists()  # refused while the options were read, before anything started
