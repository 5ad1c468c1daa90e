"""What a daemon configuration holds: the keys of each section, and ``DaemonConfig``, the checked
and typed result of reading a file (``conf.py`` reads it)."""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "FILE_NAME",
    "FROM_EVENT_ID_FILE",
    "FROM_STATE_URL",
    "KNOWN",
    "SECRETS",
    "SOURCES",
    "STATE_SUFFIX",
    "UPSTREAM_SECTIONS",
    "ConfigError",
    "DaemonConfig",
    "EmailConfig",
]

FILE_NAME = "shotgunEventDaemon.conf"
SOURCES = ("direct", "stream", "api3")
#: the default state database is ``<eventIdFile>`` + this: beside shotgunEvents' own state, named
#: after it (two daemons with two eventIdFiles get two databases), never the pickle itself
STATE_SUFFIX = ".shotlog.db"
#: shotgunEvents' own sections, where an unknown key is a warning (upstream ignores it)
UPSTREAM_SECTIONS = ("daemon", "shotgun", "plugins", "emails")
#: ``DaemonConfig.state_origin`` values
FROM_STATE_URL = "[shotlog] state_url"
FROM_EVENT_ID_FILE = "[daemon] eventIdFile"

# Keys of each known section (lower case: ConfigParser folds option names).
KNOWN: dict[str, set[str]] = {
    "daemon": {
        "pidfile",
        "eventidfile",
        "logmode",
        "logpath",
        "logfile",
        "logging",
        "timing_log",
        "conn_retry_sleep",
        "max_conn_retries",
        "fetch_interval",
        "max_event_batch_size",
    },
    "shotgun": {"server", "name", "key", "proxy_server", "use_session_uuid"},
    "plugins": {"paths"},
    "emails": {
        "enabled",
        "server",
        "port",
        "usetls",
        "usessl",
        "username",
        "password",
        "from",
        "to",
        "subject",
    },
    "shotlog": {
        "name",
        "source",
        "database_url",
        "state_url",
        "gap_timeout",
        "stop_timeout",
        "socket_timeout",
        "retry_max_sleep",
        "hot_reload",
        "email_interval",
        "log_locals",
        "commit_every",
        "commit_interval",
        "cursor_dir",
    },
}
SECRETS = {("shotgun", "key"), ("emails", "password"), ("shotlog", "database_url"), ("shotlog", "state_url")}


class ConfigError(ValueError):
    """A configuration problem, naming the section, the key and the value involved."""

    def __init__(self, message: str, section: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.section, self.key = section, key


@dataclass(frozen=True)
class EmailConfig:
    server: str
    port: int
    use_tls: bool  # STARTTLS after connecting
    use_ssl: bool  # implicit TLS from the first byte (SMTPS, usually port 465)
    username: str | None
    password: str | None
    sender: str
    to: tuple[str, ...]
    subject: str


@dataclass(frozen=True)
class DaemonConfig:
    path: Path | None
    parser: configparser.ConfigParser = field(repr=False)
    # [daemon]
    pid_file: Path | None = None
    event_id_file: Path | None = None
    log_mode: int = 1
    log_path: Path | None = None
    log_file: str = "shotgunEventDaemon"
    log_level: int = 20
    timing_log: bool = False
    conn_retry_sleep: float = 60.0
    max_conn_retries: int = 5
    fetch_interval: float = 5.0
    max_event_batch_size: int = 500
    # [shotgun]
    server: str = ""
    script_name: str | None = None
    script_key: str | None = field(default=None, repr=False)
    proxy_server: str | None = None
    use_session_uuid: bool = False
    # [plugins]
    plugin_paths: tuple[Path, ...] = ()
    plugin_path_names: tuple[str, ...] = ()  # as written in the file: they key the legacy state
    # [emails]
    emails: EmailConfig | None = None
    # [shotlog]
    name: str = "default"
    source: str = "api3"
    database_url: str | None = field(default=None, repr=False)
    state_url: str | None = field(default=None, repr=False)
    gap_timeout: float = 300.0
    stop_timeout: float = 30.0
    socket_timeout: float = 60.0
    retry_max_sleep: float = 60.0
    hot_reload: bool = True
    email_interval: float = 60.0
    log_locals: bool = False
    #: database cursor commits: at most every this many events and this many seconds (the per-plugin
    #: progress files in ``cursor_dir`` record every event in between)
    commit_every: int = 1000
    commit_interval: float = 0.1
    cursor_dir: Path | None = None
    #: where ``state_url`` came from: ``[shotlog] state_url``, ``[daemon] eventIdFile`` (derived),
    #: or None (the direct source keeps its cursors in ``database_url``)
    state_origin: str | None = None
    #: problems that do not stop the daemon (unknown keys...): logged once it starts
    warnings: tuple[str, ...] = ()

    @property
    def cursor_directory(self) -> Path:
        """Where the per-plugin progress files live: ``cursor_dir``, else ``<logPath>/cursors``."""
        if self.cursor_dir is not None:
            return self.cursor_dir
        logs = self.log_path or (self.path.parent if self.path else Path.cwd())
        return logs / "cursors"

    @property
    def state_database_url(self) -> str:
        """Where cursors live: ``state_url``, else the shotlog database of the direct source."""
        url = self.state_url or (self.database_url if self.source == "direct" else None)
        if url is None:  # parse_config makes this unreachable; kept for type narrowing
            raise ConfigError("[shotlog] state_url or [daemon] eventIdFile is required by this source")
        return url

    def plugin_view(self) -> configparser.ConfigParser:
        """What plugins see as ``reg.logger.config``: the file's values without the daemon's secrets."""
        view = configparser.ConfigParser(interpolation=None)
        view.optionxform = self.parser.optionxform  # type: ignore[method-assign]
        for section in self.parser.sections():
            view.add_section(section)
            for key, value in self.parser.items(section, raw=False):
                if (section.lower(), key) not in SECRETS:
                    view.set(section, key, value)
        return view
