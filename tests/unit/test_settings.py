"""The settings module: one reading rule for every variable, typed values, one error type."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from shotlog import settings
from shotlog.errors import ValidationError
from shotlog.settings import SettingError


def test_unset_and_blank_variables_read_as_the_default() -> None:
    for setting in settings.ALL:
        assert setting.read({}) == setting.default, setting.name
        assert setting.read({setting.name: "  "}) == setting.default, setting.name


def test_values_are_typed() -> None:
    env = {
        "SHOTLOG_PORT": "9000",
        "SHOTLOG_TLS_CERT": "/etc/cert.pem",
        "SHOTLOG_ARCHIVE_INTERVAL": "0.5",
        "SHOTLOG_ARCHIVE_URL": "none",
        "SHOTLOG_WEBHOOKS": "off",
        "SHOTLOG_WEBHOOKS_ALLOW_PRIVATE": "yes",
        "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "10.2.0.0/16, ,::1",
        "SHOTLOG_WEBHOOKS_FAILURE_THRESHOLD": "1e2",
        "SHOTLOG_WEBHOOKS_SITE_URL": "https://site.example",
        "SHOTLOG_WEB_SECURE_COOKIES": "auto",
    }
    assert settings.PORT.read(env) == 9000
    assert settings.TLS_CERT.read(env) == Path("/etc/cert.pem")
    assert settings.ARCHIVE_INTERVAL.read(env) == 0.5
    assert settings.ARCHIVE_URL.read(env) is None
    assert settings.WEBHOOKS.read(env) is False
    assert settings.WEBHOOKS_ALLOW_PRIVATE.read(env) is True
    assert settings.WEBHOOKS_ALLOWED_NETWORKS.read(env) == (
        ipaddress.ip_network("10.2.0.0/16"),
        ipaddress.ip_network("::1"),
    )
    assert settings.WEBHOOKS_FAILURE_THRESHOLD.read(env) == 100
    assert settings.WEBHOOKS_SITE_URL.read(env) == "https://site.example/"
    assert settings.WEB_SECURE_COOKIES.read(env) is None
    assert settings.WEB_SECURE_COOKIES.read({"SHOTLOG_WEB_SECURE_COOKIES": "0"}) is False


@pytest.mark.parametrize(
    ("setting", "text", "message"),
    [
        (settings.PORT, "http", "SHOTLOG_PORT must be a number, got 'http'"),
        (settings.WEBHOOKS_RETRY_SCALE, "-1", "SHOTLOG_WEBHOOKS_RETRY_SCALE must not be negative"),
        (settings.MAX_TEXT_LENGTH, "0", "SHOTLOG_MAX_TEXT_LENGTH must be a positive number of characters"),
        (
            settings.WEBHOOKS_ALLOWED_NETWORKS,
            "10.2.0.0/99",
            "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS: '10.2.0.0/99'",
        ),
    ],
)
def test_a_value_that_does_not_parse_names_its_variable(
    setting: settings.Setting[object], text: str, message: str
) -> None:
    with pytest.raises(SettingError, match=message) as raised:
        setting.read({setting.name: text})
    # commands print a ValidationError as one line; standard-library callers catch ValueError
    assert isinstance(raised.value, ValidationError) and isinstance(raised.value, ValueError)
    assert raised.value.details == {"field": setting.name}


def test_read_looks_at_the_environment_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTLOG_WEBHOOKS_POLL_INTERVAL", "2")
    assert settings.WEBHOOKS_POLL_INTERVAL.read() == 2.0
    monkeypatch.delenv("SHOTLOG_WEBHOOKS_POLL_INTERVAL")
    assert settings.WEBHOOKS_POLL_INTERVAL.read() == 0.25


def test_the_daemon_override_family_leaves_out_the_config_variable() -> None:
    env = {"SHOTLOG_DAEMON_CONFIG": "/x.conf", "SHOTLOG_DAEMON_SHOTGUN_KEY": "k", "SHOTLOG_PORT": "1"}
    assert list(settings.DAEMON_OVERRIDES.items(env)) == [("SHOTLOG_DAEMON_SHOTGUN_KEY", "k")]


def test_every_setting_is_declared_once_in_a_documented_section() -> None:
    names = [s.name for s in settings.ALL]
    assert len(names) == len(set(names))
    assert {s.section for s in settings.ALL} | {f.section for f in settings.FAMILIES} == set(
        settings.SECTIONS
    )
