"""Error emails through a real SMTP server (aiosmtpd) with STARTTLS and with implicit TLS."""

from __future__ import annotations

import logging
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope
from daemonkit import wait_for

from shotlog.daemon.alerts import AlertHandler, Mailer
from shotlog.daemon.conf import EmailConfig
from testdbs import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        self.logins.append(data.login)
        return AuthResult(success=data.login == b"mailer" and data.password == b"pw")


class _QuietController(Controller):
    """Implicit TLS with AUTH: aiosmtpd warns on every connection that AUTH is not behind STARTTLS."""

    def factory(self) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return super().factory()


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return crt, key


def _server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    return ctx


def _client_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert[0]))


@pytest.fixture(params=["starttls", "implicit"])
def smtp(request: pytest.FixtureRequest, cert: tuple[Path, Path]) -> Iterator[tuple[Inbox, EmailConfig]]:
    inbox = Inbox()
    port = free_port()
    kwargs: dict[str, Any] = {"authenticator": inbox.authenticate, "auth_required": True}
    if request.param == "starttls":
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            tls_context=_server_context(cert),
            require_starttls=True,
            **kwargs,
        )
    else:
        # aiosmtpd only counts STARTTLS as TLS when deciding to offer AUTH; the socket is TLS here.
        kwargs["auth_require_tls"] = False
        controller = _QuietController(
            inbox, hostname="127.0.0.1", port=port, ssl_context=_server_context(cert), **kwargs
        )
    controller.start()
    config = EmailConfig(
        server="127.0.0.1",
        port=port,
        use_tls=request.param == "starttls",
        use_ssl=request.param == "implicit",
        username="mailer",
        password="pw",
        sender="daemon@example.com",
        to=("ops@example.com",),
        subject="[SG]",
    )
    yield inbox, config
    controller.stop()


def test_errors_are_mailed_in_rate_limited_digests(
    smtp: tuple[Inbox, EmailConfig], cert: tuple[Path, Path]
) -> None:
    inbox, config = smtp
    handler = AlertHandler(
        Mailer(config, context=_client_context(cert)),
        interval=3600,
        recipients=lambda r: ("td@example.com",) if r.name == "plugin.special" else None,
    )
    logger = logging.getLogger("plugin.mailtest")
    logger.addHandler(handler)
    special = logging.getLogger("plugin.special")
    special.addHandler(handler)
    try:
        logger.error("first failure")
        wait_for(lambda: inbox.messages, "the first email")
        logger.critical("second failure")  # within the interval: held back
        logger.error("third failure")
        logger.info("not mailed")
        special.error("for the plugin's own recipients")
    finally:
        logger.removeHandler(handler)
        special.removeHandler(handler)
        handler.close()  # sends what is held back
    assert inbox.logins and inbox.logins[-1] == b"mailer"
    by_rcpt = {tuple(m.rcpt_tos): m for m in inbox.messages}
    assert len(inbox.messages) == 3
    first, digest = [m for m in inbox.messages if m.rcpt_tos == ["ops@example.com"]]
    assert b"Subject: [SG] ERROR - SG event daemon." in first.original_content
    assert b"first failure" in first.original_content
    assert b"Subject: [SG] CRITICAL - SG event daemon." in digest.original_content
    assert b"2 errors" in digest.original_content and b"third failure" in digest.original_content
    assert b"not mailed" not in digest.original_content
    assert b"for the plugin's own recipients" in by_rcpt[("td@example.com",)].original_content


def test_an_unreachable_mail_server_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    config = EmailConfig("127.0.0.1", free_port(), False, False, None, None, "a@b.c", ("d@e.f",), "[SG]")
    handler = AlertHandler(Mailer(config, timeout=2), interval=0)
    logger = logging.getLogger("plugin.nomail")
    logger.addHandler(handler)
    try:
        logger.error("lost")
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert handler.sent == 0
    assert any("could not send an alert email" in r.getMessage() for r in caplog.records)
