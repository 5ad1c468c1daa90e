"""Reading shotgunEventDaemon.conf files as studios have them, and rejecting bad ones precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotlog.daemon.conf import ConfigError, load_config, parse_config

# shotgunEvents' own template, as studios copy it (keys in their original case)
UPSTREAM = """
[daemon]
pidFile: /var/log/shotgunEventDaemon.pid
eventIdFile: /var/log/shotgunEventDaemon.id
logMode: 1
logPath: /var/log/shotgunEventDaemon
logFile: shotgunEventDaemon
logging: 20
timing_log: off
conn_retry_sleep: 60
max_conn_retries: 5
fetch_interval: 5
max_event_batch_size: 500

[shotgun]
server: %(SG_ED_SITE_URL)s
name: %(SG_ED_SCRIPT_NAME)s
key: %(SG_ED_API_KEY)s
proxy_server:
use_session_uuid: True

[plugins]
paths: /usr/local/shotgun/plugins, relative_plugins

[emails]
enabled: True
server: smtp.example.com
port: 587
useTLS: True
username: %(SG_ED_EMAIL_USERNAME)s
password: %(SG_ED_EMAIL_PASSWORD)s
from: support@yoursite.com
to: you@yoursite.com, other@yoursite.com
subject: [SG]

[shotlog]
state_url: sqlite:////var/lib/shotlog/daemon.db

[my_plugin]
threshold = 5
"""

ENV = {
    "SG_ED_SITE_URL": "https://studio.shotgrid.autodesk.com",
    "SG_ED_SCRIPT_NAME": "event_daemon",
    "SG_ED_API_KEY": "s3cret%key",
    "SG_ED_EMAIL_USERNAME": "mailer",
    "SG_ED_EMAIL_PASSWORD": "mailpw",
    "USERNAME": "leaks",
    "PORT": "9999",
}


def test_the_upstream_template_reads_as_is(tmp_path: Path) -> None:
    path = tmp_path / "shotgunEventDaemon.conf"
    path.write_text(UPSTREAM)
    cfg = load_config(path, ENV)
    assert cfg.server == "https://studio.shotgrid.autodesk.com"
    assert (cfg.script_name, cfg.script_key) == ("event_daemon", "s3cret%key")
    assert cfg.source == "api3" and cfg.use_session_uuid is True and cfg.proxy_server is None
    assert (cfg.log_mode, cfg.log_level, cfg.timing_log) == (1, 20, False)
    assert (cfg.conn_retry_sleep, cfg.max_conn_retries, cfg.fetch_interval, cfg.max_event_batch_size) == (
        60,
        5,
        5,
        500,
    )
    assert cfg.pid_file == Path("/var/log/shotgunEventDaemon.pid")
    # relative plugin paths are resolved against the file's directory, not the working directory
    assert cfg.plugin_paths == (Path("/usr/local/shotgun/plugins"), (tmp_path / "relative_plugins").resolve())
    assert cfg.plugin_path_names == ("/usr/local/shotgun/plugins", "relative_plugins")
    assert cfg.emails is not None
    assert (cfg.emails.port, cfg.emails.use_tls, cfg.emails.username, cfg.emails.password) == (
        587,
        True,
        "mailer",
        "mailpw",
    )
    assert cfg.emails.to == ("you@yoursite.com", "other@yoursite.com")


def test_environment_variables_do_not_leak_into_options() -> None:
    cfg = parse_config(UPSTREAM, ENV)
    assert not cfg.parser.has_option("daemon", "PORT") and not cfg.parser.has_option("shotgun", "username")
    assert cfg.emails is not None and cfg.emails.port == 587
    view = cfg.plugin_view()
    # plugins read their own sections and the site URL, not the daemon's secrets
    assert view.getint("my_plugin", "threshold") == 5
    assert view.get("shotgun", "server") == cfg.server
    assert not view.has_option("shotgun", "key") and not view.has_option("emails", "password")


def test_dollar_brace_interpolation_and_overrides() -> None:
    text = UPSTREAM.replace("%(SG_ED_API_KEY)s", "${SG_ED_API_KEY}")
    cfg = parse_config(
        text,
        {**ENV, "SHOTLOG_DAEMON_SHOTGUN_NAME": "other_script", "SHOTLOG_DAEMON_DAEMON_FETCH_INTERVAL": "0.5"},
    )
    assert cfg.script_key == "s3cret%key"
    assert cfg.script_name == "other_script" and cfg.fetch_interval == 0.5


@pytest.mark.parametrize(
    ("change", "env", "section", "key", "fragment"),
    [
        (("paths: /usr/local/shotgun/plugins, relative_plugins", ""), {}, "plugins", "paths", "missing"),
        (
            ("max_event_batch_size: 500", "max_event_batch_size: lots"),
            {},
            "daemon",
            "max_event_batch_size",
            "'lots' is not an integer",
        ),
        (("fetch_interval: 5", "fetch_interval: -1"), {}, "daemon", "fetch_interval", "'-1' must be from"),
        (("logMode: 1", "logMode: 7"), {}, "daemon", "logmode", "'7' must be from"),
        (
            ("use_session_uuid: True", "use_session_uuid: maybe"),
            {},
            "shotgun",
            "use_session_uuid",
            "'maybe' is not a boolean",
        ),
        (
            ("server: %(SG_ED_SITE_URL)s", "server: studio.example.com"),
            {},
            "shotgun",
            "server",
            "is not an http(s) URL",
        ),
        (("subject: [SG]", ""), {}, "emails", "subject", "missing"),
        (
            ("fetch_interval: 5", "fetch_interval: 5\nfetch_intervall: 6"),
            {},
            "daemon",
            "fetch_intervall",
            "not a known key",
        ),
        (
            ("state_url: sqlite:////var/lib/shotlog/daemon.db", "source: sideways"),
            {},
            "shotlog",
            "source",
            "'sideways'",
        ),
        (("state_url: sqlite:////var/lib/shotlog/daemon.db", ""), {}, "shotlog", "state_url", "missing"),
        (("", ""), {"SG_ED_API_KEY": None}, "shotgun", "key", "%(SG_ED_API_KEY)s"),
        (("", ""), {"SHOTLOG_DAEMON_SHOTGUN_NAMES": "x"}, "shotgun", "names", "has no key"),
    ],
)
def test_bad_files_name_section_key_and_value(
    change: tuple[str, str], env: dict[str, str | None], section: str, key: str, fragment: str
) -> None:
    text = UPSTREAM.replace(*change) if change[0] else UPSTREAM
    full = {k: v for k, v in {**ENV, **env}.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        parse_config(text, full)
    assert (err.value.section, err.value.key) == (section, key)
    assert fragment in str(err.value) and f"[{section}]" in str(err.value)


def test_no_file_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="--config"):
        load_config(None, {})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.conf", {})
    with pytest.raises(ConfigError, match="SHOTLOG_DAEMON_CONFIG"):
        load_config(None, {"SHOTLOG_DAEMON_CONFIG": str(tmp_path / "nope.conf")})


def test_not_an_ini_file() -> None:
    with pytest.raises(ConfigError, match="not valid"):
        parse_config("this is not\n an ini file", {})
