"""The ``[mirror]`` section of a file in the daemon's format (``shotgunEventDaemon.conf``), so a
studio keeps one file for its daemon and its mirror. Keys are the options' names (``site``,
``script_name``, ``api_key``, ``login``, ``password``, ``database``, ``poll_interval``, ``batch``,
``gap_timeout``, ``rate_limit``, ``name_fetch_rate``); ``${NAME}`` is an environment variable, as
in the daemon's file.
The command line and ``SHOTLOG_MIRROR_*`` win over the file."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

__all__ = ["KEYS", "ConfigError", "read_section"]

KEYS = frozenset(
    (
        "site",
        "script_name",
        "api_key",
        "login",
        "password",
        "database",
        "poll_interval",
        "batch",
        "gap_timeout",
        "rate_limit",
        "name_fetch_rate",
    )
)


class ConfigError(Exception):
    pass


def read_section(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except (OSError, configparser.Error) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not parser.has_section("mirror"):
        raise ConfigError(f"{path} has no [mirror] section")
    values = {k: os.path.expandvars(v) for k, v in parser.items("mirror")}
    unknown = sorted(set(values) - KEYS)
    if unknown:
        raise ConfigError(f"{path}: [mirror] has no key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    return values
