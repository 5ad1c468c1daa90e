"""The daemon's configuration: a ``shotgunEventDaemon.conf`` file as studios have it, read as is.

Every section and key of shotgunEvents' file is understood (``[daemon]``, ``[shotgun]``,
``[plugins]``, ``[emails]``), plus an optional ``[shotlog]`` section for what shotgunEvents lacks
(the event source, the state database). Differences from upstream, each deliberate:

* Interpolation: ``%(NAME)s`` is another option of the same section (as ConfigParser does) or an
  environment variable, and ``${NAME}`` is an environment variable. The environment is **not** the
  default section, so unrelated variables (``USERNAME``, ``PORT``...) never become options.
* ``SHOTLOG_DAEMON_<SECTION>_<KEY>`` environment variables override single keys
  (``SHOTLOG_DAEMON_SHOTGUN_KEY``), so secrets can stay out of the file.
* Relative paths are resolved against the configuration file's directory, not the working directory.
* A missing or invalid key is a ``ConfigError`` naming the section, the key and the value. A key
  shotlog does not know in one of shotgunEvents' own sections (a fork's option, a typo) is ignored,
  as upstream ignores it, and reported as a warning at start; in ``[shotlog]`` it is an error.
* With no ``[shotlog]`` section the file runs as it stands: events come from ``[shotgun] server``
  through the api3 source, and the cursors live in a SQLite file next to ``[daemon] eventIdFile``
  (``<eventIdFile>.shotlog.db``).
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotlog.daemon.options import (
    FILE_NAME,
    FROM_EVENT_ID_FILE,
    FROM_STATE_URL,
    KNOWN,
    SOURCES,
    STATE_SUFFIX,
    UPSTREAM_SECTIONS,
    ConfigError,
    DaemonConfig,
    EmailConfig,
)
from shotlog.settings import DAEMON_CONFIG, DAEMON_OVERRIDES

__all__ = [
    "CONFIG_ENV",
    "FROM_EVENT_ID_FILE",
    "FROM_STATE_URL",
    "STATE_SUFFIX",
    "ConfigError",
    "DaemonConfig",
    "EmailConfig",
    "email_server",
    "find_config",
    "load_config",
    "parse_config",
    "state_url_beside",
]

CONFIG_ENV = DAEMON_CONFIG.name


class _Interpolation(configparser.Interpolation):
    """``%(name)s`` = option of the section, else environment variable; ``${NAME}`` = environment."""

    _TOKEN = re.compile(r"%%|\$\$|%\((\w+)\)s|\$\{(\w+)\}")

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self._folded = {k.lower(): v for k, v in env.items()}

    def before_get(
        self,
        parser: Any,
        section: str,
        option: str,
        value: str,
        defaults: Any,
    ) -> str:
        return self._expand(parser, section, option, value, 0)

    def _expand(self, parser: Any, section: str, option: str, value: str, depth: int) -> str:
        if depth > 10:
            raise ConfigError(
                f"[{section}] {option} = {value!r}: interpolation is nested too deeply (a loop?)",
                section,
                option,
            )

        def sub(m: re.Match[str]) -> str:
            token = m.group(0)
            if token == "%%":
                return "%"
            if token == "$$":
                return "$"
            name = m.group(1) or m.group(2)
            if m.group(1) is not None:
                key = parser.optionxform(name)
                if key != option and parser.has_option(section, key):
                    raw = parser.get(section, key, raw=True)
                    return self._expand(parser, section, key, raw, depth + 1)
                found = self.env.get(name, self._folded.get(name.lower()))
            else:
                found = self.env.get(name)
            if found is None:
                raise ConfigError(
                    f"[{section}] {option} = {value!r}: {token} is neither an option of [{section}] "
                    "nor a set environment variable",
                    section,
                    option,
                )
            return found

        return self._TOKEN.sub(sub, value)


def state_url_beside(event_id_file: Path) -> str:
    """The default state database: a SQLite file next to shotgunEvents' ``eventIdFile``."""
    return f"sqlite:///{event_id_file.with_name(event_id_file.name + STATE_SUFFIX)}"


def find_config(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """``--config``, else ``SHOTLOG_DAEMON_CONFIG``, else ./shotgunEventDaemon.conf, else /etc/."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"Configuration file {str(path)!r} (--config) does not exist")
        return path
    configured = DAEMON_CONFIG.read(env)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"Configuration file {str(path)!r} ({CONFIG_ENV}) does not exist")
        return path
    for candidate in (Path.cwd() / FILE_NAME, Path("/etc") / FILE_NAME):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"No {FILE_NAME} in the current directory or /etc; pass --config PATH or set {CONFIG_ENV}"
    )


def load_config(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> DaemonConfig:
    env = dict(os.environ if env is None else env)
    path = find_config(explicit, env)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read configuration file {str(path)!r}: {exc}") from None
    return parse_config(text, env, path=path)


def email_server(env: Mapping[str, str] | None = None) -> EmailConfig | None:
    """The ``[emails]`` settings of the file ``SHOTLOG_DAEMON_CONFIG`` names, for the other mail
    shotlog sends (a webhook's status emails): None when the variable is unset or the file sends
    no email. Only that section is read, with its ``SHOTLOG_DAEMON_EMAILS_*`` overrides, so a file
    written for another machine's daemon still lends its mail server."""
    env = dict(os.environ if env is None else env)
    configured = DAEMON_CONFIG.read(env)
    if not configured:
        return None
    path = Path(configured)
    parser = configparser.ConfigParser(interpolation=_Interpolation(env))
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ConfigError(f"Cannot read configuration file {str(path)!r} ({CONFIG_ENV}): {exc}") from None
    _apply_overrides(parser, env)
    return _Reader(parser, path).emails()[0]


def parse_config(text: str, env: Mapping[str, str], *, path: Path | None = None) -> DaemonConfig:
    parser = configparser.ConfigParser(interpolation=_Interpolation(env))
    try:
        parser.read_string(text, source=str(path or "<config>"))
    except configparser.Error as exc:
        raise ConfigError(f"Configuration file {str(path or '<config>')!r} is not valid: {exc}") from None
    _apply_overrides(parser, env)
    return _Reader(parser, path).config()


def _apply_overrides(parser: configparser.ConfigParser, env: Mapping[str, str]) -> None:
    for name, value in DAEMON_OVERRIDES.items(env):
        section, _, key = name[len(DAEMON_OVERRIDES.prefix) :].lower().partition("_")
        if section not in KNOWN:
            continue
        match = next((k for k in KNOWN[section] if k == key), None)
        if match is None:
            raise ConfigError(f"{name}: [{section}] has no key {key!r}", section, key)
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, match, value.replace("%", "%%"))


_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off", ""}


class _Reader:
    def __init__(self, parser: configparser.ConfigParser, path: Path | None) -> None:
        self.parser = parser
        self.path = path
        self.base = path.parent.resolve() if path else Path.cwd()

    def raw(self, section: str, key: str) -> str | None:
        if not self.parser.has_option(section, key):
            return None
        try:
            return self.parser.get(section, key).strip()
        except configparser.Error as exc:
            raise ConfigError(f"[{section}] {key}: {exc}", section, key) from None

    def required(self, section: str, key: str, why: str = "") -> str:
        value = self.raw(section, key)
        if not value:
            state = "is missing" if value is None else "is empty"
            raise ConfigError(f"[{section}] {key} {state}{why}", section, key)
        return value

    def number(
        self, section: str, key: str, default: float, *, integer: bool, low: float, high: float
    ) -> Any:
        value = self.raw(section, key)
        if value is None or value == "":
            return default
        try:
            number: float = int(value) if integer else float(value)
        except ValueError:
            kind = "an integer" if integer else "a number"
            raise ConfigError(f"[{section}] {key} = {value!r} is not {kind}", section, key) from None
        if not low <= number <= high:
            raise ConfigError(f"[{section}] {key} = {value!r} must be from {low:g} to {high:g}", section, key)
        return number

    def boolean(self, section: str, key: str, default: bool) -> bool:
        value = self.raw(section, key)
        if value is None:
            return default
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(
            f"[{section}] {key} = {value!r} is not a boolean (true/false, yes/no, on/off, 1/0)", section, key
        )

    def path_value(self, section: str, key: str) -> Path | None:
        value = self.raw(section, key)
        return (self.base / Path(value).expanduser()) if value else None

    def unknown_keys(self) -> list[str]:
        """Warnings for unknown keys of upstream's sections; an unknown ``[shotlog]`` key is an error."""
        notes = []
        for section in self.parser.sections():
            known = KNOWN.get(section.lower())
            if known is None:
                continue  # a plugin's own section, read by the plugin through reg.logger.config
            for key in self.parser.options(section):
                if key in known:
                    continue
                message = (
                    f"[{section}] {key} is not a known key of [{section}] (known: {', '.join(sorted(known))})"
                )
                if section.lower() not in UPSTREAM_SECTIONS:
                    raise ConfigError(message, section, key)
                notes.append(f"{message}; ignored")
        return notes

    def config(self) -> DaemonConfig:
        p = self.parser
        notes = self.unknown_keys()
        log_mode = self.number("daemon", "logmode", 1, integer=True, low=0, high=1)
        # upstream hands the value to the logging library: any level is valid, 10-50 the usual ones
        level = self.number("daemon", "logging", 20, integer=True, low=0, high=10**6)
        timing = self.raw("daemon", "timing_log")
        source = (self.raw("shotlog", "source") or "").lower()
        database_url = self.raw("shotlog", "database_url") or None
        if not source:
            source = "direct" if database_url else "api3"
        if source not in SOURCES:
            raise ConfigError(
                f"[shotlog] source = {source!r} must be one of {', '.join(SOURCES)}", "shotlog", "source"
            )
        script_name = script_key = None
        # Plugins always get shotgun_api3 connections to the site, whatever the event source.
        server = self.required("shotgun", "server", " (the site plugins connect to)")
        if not re.match(r"^https?://[^/\s]+", server):
            raise ConfigError(f"[shotgun] server = {server!r} is not an http(s) URL", "shotgun", "server")
        if source == "direct":
            if not database_url:
                raise ConfigError(
                    "[shotlog] database_url is missing (required by source = direct)",
                    "shotlog",
                    "database_url",
                )
        else:
            script_name = self.required("shotgun", "name", f" (required by source = {source})")
            script_key = self.required("shotgun", "key", f" (required by source = {source})")
        event_id_file = self.path_value("daemon", "eventidfile")
        state_url = self.raw("shotlog", "state_url") or None
        origin = FROM_STATE_URL if state_url else None
        if source != "direct" and not state_url:
            if event_id_file is None:
                raise ConfigError(
                    f"[daemon] eventIdFile is missing: with source = {source} the cursors live in "
                    f"<eventIdFile>{STATE_SUFFIX} unless [shotlog] state_url names a database",
                    "daemon",
                    "eventidfile",
                )
            state_url, origin = state_url_beside(event_id_file), FROM_EVENT_ID_FILE
        paths_raw = self.required("plugins", "paths")
        names = tuple(s.strip() for s in paths_raw.split(",") if s.strip())
        if not names:
            raise ConfigError(f"[plugins] paths = {paths_raw!r} names no directory", "plugins", "paths")
        paths = tuple((self.base / Path(n).expanduser()).resolve() for n in names)
        name = self.raw("shotlog", "name") or "default"
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
            raise ConfigError(
                f"[shotlog] name = {name!r} must be 1-64 letters, digits, '.', '_' or '-'", "shotlog", "name"
            )
        emails, email_notes = self.emails()
        return DaemonConfig(
            path=self.path,
            parser=p,
            pid_file=self.path_value("daemon", "pidfile"),
            event_id_file=event_id_file,
            log_mode=log_mode,
            log_path=self.path_value("daemon", "logpath"),
            log_file=self.raw("daemon", "logfile") or "shotgunEventDaemon",
            log_level=level,
            timing_log=(timing or "").lower() in _TRUE,
            conn_retry_sleep=self.number(
                "daemon", "conn_retry_sleep", 60.0, integer=False, low=0, high=86400
            ),
            max_conn_retries=self.number("daemon", "max_conn_retries", 5, integer=True, low=1, high=10**6),
            fetch_interval=self.number("daemon", "fetch_interval", 5.0, integer=False, low=0.01, high=3600),
            max_event_batch_size=self.number(
                "daemon", "max_event_batch_size", 500, integer=True, low=1, high=5000
            ),
            server=server.rstrip("/"),
            script_name=script_name,
            script_key=script_key,
            proxy_server=self.raw("shotgun", "proxy_server") or None,
            use_session_uuid=self.boolean("shotgun", "use_session_uuid", False),
            plugin_paths=paths,
            plugin_path_names=names,
            emails=emails,
            name=name,
            source=source,
            database_url=database_url,
            state_url=state_url,
            gap_timeout=self.number("shotlog", "gap_timeout", 300.0, integer=False, low=0, high=7 * 86400),
            stop_timeout=self.number("shotlog", "stop_timeout", 30.0, integer=False, low=0, high=3600),
            socket_timeout=self.number("shotlog", "socket_timeout", 60.0, integer=False, low=1, high=3600),
            retry_max_sleep=self.number(
                "shotlog", "retry_max_sleep", 60.0, integer=False, low=0.01, high=3600
            ),
            hot_reload=self.boolean("shotlog", "hot_reload", True),
            email_interval=self.number("shotlog", "email_interval", 60.0, integer=False, low=0, high=86400),
            log_locals=self.boolean("shotlog", "log_locals", False),
            commit_every=self.number("shotlog", "commit_every", 1000, integer=True, low=1, high=1_000_000),
            commit_interval=self.number("shotlog", "commit_interval", 0.1, integer=False, low=0, high=3600),
            cursor_dir=self.path_value("shotlog", "cursor_dir"),
            state_origin=origin,
            warnings=(*notes, *email_notes),
        )

    def emails(self) -> tuple[EmailConfig | None, list[str]]:
        """Upstream's two generations: ``enabled`` decides when present; files from before that key
        existed mail exactly when server, from, to and subject are all filled in (their comment)."""
        needed = ("server", "from", "to", "subject")
        if self.raw("emails", "enabled") is None:
            filled = [k for k in needed if self.raw("emails", k)]
            if len(filled) < len(needed):
                notes = []
                if filled:
                    missing = ", ".join(k for k in needed if k not in filled)
                    notes.append(f"[emails] has no {missing}: no error email is sent (all four are needed)")
                return None, notes
        elif not self.boolean("emails", "enabled", False):
            return None, []
        return self.email_config(), []

    def email_config(self) -> EmailConfig:
        why = " (required to send error emails)"
        use_tls = self.boolean("emails", "usetls", False)
        use_ssl = self.boolean("emails", "usessl", False)
        if use_tls and use_ssl:
            raise ConfigError(
                "[emails] useTLS and useSSL are both on: pick STARTTLS or implicit TLS", "emails", "usessl"
            )
        to = tuple(a.strip() for a in self.required("emails", "to", why).split(",") if a.strip())
        return EmailConfig(
            server=self.required("emails", "server", why),
            port=self.number("emails", "port", 465 if use_ssl else 25, integer=True, low=1, high=65535),
            use_tls=use_tls,
            use_ssl=use_ssl,
            username=self.raw("emails", "username") or None,
            password=self.raw("emails", "password") or None,
            sender=self.required("emails", "from", why),
            to=to,
            subject=self.required("emails", "subject", why),
        )
