"""Reading shotgunEventDaemon.conf files as studios have them, and rejecting bad ones precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
from upstream_sample import SAMPLE, fill_in

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
            ("state_url: sqlite:////var/lib/shotlog/daemon.db", "gap_timout: 60"),
            {},
            "shotlog",
            "gap_timout",
            "not a known key",
        ),
        (
            ("state_url: sqlite:////var/lib/shotlog/daemon.db", "source: sideways"),
            {},
            "shotlog",
            "source",
            "'sideways'",
        ),
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


def _sample(tmp_path: Path, **changes: str) -> str:
    """The upstream sample filled in, then with more lines changed for one test."""
    text = fill_in(
        server="https://shotlog.studio.example",
        name="event_daemon",
        key="k3y",
        plugin_paths=[Path("/srv/plugins"), Path("relative_plugins")],
        directory=tmp_path,
    )
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_every_key_of_the_upstream_sample_keeps_its_meaning(tmp_path: Path) -> None:
    path = tmp_path / "shotgunEventDaemon.conf"
    path.write_text(_sample(tmp_path))
    cfg = load_config(path, ENV)
    # [daemon]
    assert cfg.pid_file == tmp_path / "shotgunEventDaemon.pid"
    assert cfg.event_id_file == tmp_path / "shotgunEventDaemon.id"
    assert (cfg.log_mode, cfg.log_path, cfg.log_file) == (1, tmp_path / "logs", "shotgunEventDaemon")
    assert (cfg.log_level, cfg.timing_log) == (20, False)
    assert (cfg.conn_retry_sleep, cfg.max_conn_retries, cfg.fetch_interval, cfg.max_event_batch_size) == (
        60,
        5,
        5,
        500,
    )
    # [shotgun]: the empty proxy_server means no proxy
    assert (cfg.server, cfg.script_name, cfg.script_key) == (
        "https://shotlog.studio.example",
        "event_daemon",
        "k3y",
    )
    assert cfg.proxy_server is None and cfg.use_session_uuid is True
    # [plugins]: as written (they key shotgunEvents' state) and resolved against the file's directory
    assert cfg.plugin_path_names == ("/srv/plugins", "relative_plugins")
    assert cfg.plugin_paths == (Path("/srv/plugins"), (tmp_path / "relative_plugins").resolve())
    # [emails]: server, from, to and subject are empty, so no email, as the sample's comment says
    assert cfg.emails is None
    # no [shotlog]: events from the site through api3, cursors next to eventIdFile
    assert cfg.source == "api3" and cfg.name == "default"
    assert cfg.state_url == f"sqlite:///{tmp_path / 'shotgunEventDaemon.id.shotlog.db'}"
    assert cfg.state_origin == "[daemon] eventIdFile" and cfg.warnings == ()
    # [sentry] is not shotlog's: plugins read it like their own sections
    assert cfg.plugin_view().get("sentry", "sentry_dsn") == ""


def test_the_sample_keys_set_as_a_studio_sets_them(tmp_path: Path) -> None:
    text = _sample(
        tmp_path,
        **{
            "timing_log: off": "timing_log: on",
            "logging: 20": "logging: 5",
            "logMode: 1": "logMode: 0",
            "proxy_server: ": "proxy_server: 10.0.0.1:8080",
            "use_session_uuid: True": "use_session_uuid: False",
            "server:\n": "server: smtp.studio.example\n",
            "#port: 587": "port: 587",
            "#useTLS: True": "useTLS: True",
            "#username: yourSMTPUsername": "username: %(SG_ED_EMAIL_USERNAME)s",
            "#password: yourSMPTPassword": "password: ${SG_ED_EMAIL_PASSWORD}",
            "from:\n": "from: daemon@studio.example\n",
            "to:\n": "to: a@studio.example, b@studio.example\n",
            "subject:\n": "subject: [SG]\n",
        },
    )
    cfg = parse_config(text, ENV, path=tmp_path / "x.conf")
    assert (cfg.timing_log, cfg.log_level, cfg.log_mode) == (True, 5, 0)
    assert cfg.proxy_server == "10.0.0.1:8080" and cfg.use_session_uuid is False
    # no `enabled` key (files older than it): mail goes out because all four values are there
    assert cfg.emails is not None
    assert (cfg.emails.server, cfg.emails.port, cfg.emails.use_tls) == ("smtp.studio.example", 587, True)
    assert (cfg.emails.username, cfg.emails.password) == ("mailer", "mailpw")
    assert cfg.emails.to == ("a@studio.example", "b@studio.example") and cfg.emails.subject == "[SG]"
    # `enabled` decides when the file has it
    assert parse_config(text.replace("[emails]", "[emails]\nenabled: False"), ENV).emails is None


def test_a_half_filled_emails_section_sends_nothing_and_says_so(tmp_path: Path) -> None:
    cfg = parse_config(_sample(tmp_path, **{"server:\n": "server: smtp.studio.example\n"}), ENV)
    assert cfg.emails is None
    assert cfg.warnings == (
        "[emails] has no from, to, subject: no error email is sent (all four are needed)",
    )


def test_unknown_keys_of_upstream_sections_are_ignored_with_a_warning(tmp_path: Path) -> None:
    # keys of forks and other versions (and typos) do not stop a file that upstream would run
    text = _sample(tmp_path, **{"fetch_interval = 5": "fetch_interval = 5\nfetch_intervall = 6"})
    text = text.replace("use_session_uuid: True", "use_session_uuid: True\nlimit_to_projects:")
    cfg = parse_config(text, ENV)
    assert cfg.fetch_interval == 5
    assert len(cfg.warnings) == 2
    assert cfg.warnings[0].startswith("[daemon] fetch_intervall is not a known key of [daemon]")
    assert cfg.warnings[1].startswith("[shotgun] limit_to_projects is not a known key")
    assert all(w.endswith("; ignored") for w in cfg.warnings)


def test_the_shotlog_section_overrides_the_defaults(tmp_path: Path) -> None:
    base = _sample(tmp_path)
    cfg = parse_config(base + "\n[shotlog]\nstate_url = sqlite:////srv/state.db\nname = farm\n", ENV)
    assert (cfg.state_url, cfg.state_origin, cfg.name) == (
        "sqlite:////srv/state.db",
        "[shotlog] state_url",
        "farm",
    )
    cfg = parse_config(base + "\n[shotlog]\ndatabase_url = postgresql://db/shotlog\n", ENV)
    assert (cfg.source, cfg.state_url, cfg.state_database_url) == ("direct", None, "postgresql://db/shotlog")
    # and the environment overrides single keys, [shotlog] ones included
    cfg = parse_config(base, {**ENV, "SHOTLOG_DAEMON_SHOTLOG_STATE_URL": "sqlite:////env.db"})
    assert cfg.state_url == "sqlite:////env.db"


def test_without_event_id_file_or_state_url_the_cursors_have_no_home(tmp_path: Path) -> None:
    text = _sample(tmp_path).replace(f"eventIdFile: {tmp_path / 'shotgunEventDaemon.id'}", "")
    with pytest.raises(ConfigError) as err:
        parse_config(text, ENV)
    assert (err.value.section, err.value.key) == ("daemon", "eventidfile")
    assert "[daemon] eventIdFile is missing" in str(err.value) and "state_url" in str(err.value)


def test_the_older_template_with_install_tokens(tmp_path: Path) -> None:
    """Early samples had a [proxy] section and $TOKEN$ placeholders an installer replaced. A file
    whose site was filled in and whose mail tokens were left runs; the tokens count as filled in,
    as upstream counts them (a mail server that cannot be reached is logged, never raised)."""
    text = (
        "[daemon]\npidFile: d.pid\neventIdFile: d.id\nlogMode: 1\nlogPath: logs\nlogFile: d\n"
        "logging: 20\nconn_retry_sleep = 60\nmax_conn_retries = 5\nfetch_interval = 5\n"
        "[proxy]\n# http_proxy: $HTTP_PROXY$\n"
        "[shotgun]\nserver: https://site.example\nname: d\nkey: k\nuse_session_uuid: True\n"
        "[plugins]\npaths: plugins\n"
        "[emails]\nserver: $SMTP_SERVER$\nfrom: $FROM_EMAIL$\nto: $TO_EMAILS$\nsubject: [SG]\n"
    )
    cfg = parse_config(text, {}, path=tmp_path / "shotgunEventDaemon.conf")
    assert (
        cfg.event_id_file == tmp_path / "d.id"
        and cfg.state_url == f"sqlite:///{tmp_path / 'd.id.shotlog.db'}"
    )
    assert cfg.emails is not None and cfg.emails.server == "$SMTP_SERVER$"  # as upstream: all four are set


def test_the_fixture_is_the_upstream_sample() -> None:
    text = SAMPLE.read_text()
    header = [line for line in text.splitlines() if line.startswith("# Upstream sample")]
    assert header and "shotgunsoftware/shotgunEvents" in header[0]
    assert "[shotlog]" not in text
