"""Settings read from the environment; command-line options override them.

Every setting is documented in docs/configuration.md (a test checks that the two agree).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from shotlog.store.database import DEFAULT_URL

__all__ = ["SETTINGS_DOC", "Settings"]

#: name -> (default, description); the single list docs/configuration.md is checked against
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    "SHOTLOG_DATABASE_URL": (DEFAULT_URL, "Database URL: sqlite:///path.db or postgresql://user@host/db"),
    "SHOTLOG_SQLITE_SYNCHRONOUS": ("FULL", "SQLite synchronous setting: FULL (durable commits) or NORMAL"),
    "SHOTLOG_HOST": ("127.0.0.1", "Address `shotlog serve` listens on (`--host`)"),
    "SHOTLOG_PORT": ("8000", "Port `shotlog serve` listens on (`--port`)"),
}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    sqlite_synchronous: str = "FULL"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("SHOTLOG_DATABASE_URL", DEFAULT_URL),
            sqlite_synchronous=env.get("SHOTLOG_SQLITE_SYNCHRONOUS", "FULL"),
        )
