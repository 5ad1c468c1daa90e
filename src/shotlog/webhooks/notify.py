"""Email about a hook that turned Unstable or Failed: shotlog's "Notify when unstable".

FPTR mails a site's admins when a hook becomes Unstable; shotlog mails the addresses set on the hook
(``notify_emails``), when the system moves it to Unstable or to Failed. The SMTP dialogue is the
event daemon's ``Mailer``; its server comes from ``SHOTLOG_WEBHOOKS_SMTP_*``, else from the
``[emails]`` section of the daemon's file (``SHOTLOG_DAEMON_CONFIG``), so a studio that already mails
the daemon's errors configures nothing twice.

Messages are queued and sent by a thread of their own: the worker's transactions never wait for
an SMTP server. A message is best effort (a worker stopped before sending it loses it); the
status itself, and the ``Webhook_Status_Change`` delivery, are in the database either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from shotlog.daemon.alerts import Mailer
from shotlog.daemon.conf import email_server
from shotlog.daemon.options import EmailConfig
from shotlog.settings import (
    WEBHOOKS_SMTP_FROM,
    WEBHOOKS_SMTP_PASSWORD,
    WEBHOOKS_SMTP_PORT,
    WEBHOOKS_SMTP_SECURITY,
    WEBHOOKS_SMTP_SERVER,
    WEBHOOKS_SMTP_USERNAME,
)
from shotlog.webhooks.records import Hook
from shotlog.webhooks.status import HookStatus

__all__ = ["StatusChange", "StatusNotifier", "smtp_config", "status_message"]

log = logging.getLogger("shotlog.webhooks.notify")


def smtp_config(env: Mapping[str, str] | None = None) -> EmailConfig | None:
    """Where status emails go out: ``SHOTLOG_WEBHOOKS_SMTP_*``, else the daemon file's
    ``[emails]``, else None (no email is sent; the web UI still shows the status)."""
    server = WEBHOOKS_SMTP_SERVER.read(env)
    if not server:
        return email_server(env)
    security = WEBHOOKS_SMTP_SECURITY.read(env)
    port = WEBHOOKS_SMTP_PORT.read(env) or (465 if security == "ssl" else 25)
    return EmailConfig(
        server=server,
        port=port,
        use_tls=security == "starttls",
        use_ssl=security == "ssl",
        username=WEBHOOKS_SMTP_USERNAME.read(env),
        password=WEBHOOKS_SMTP_PASSWORD.read(env),
        sender=WEBHOOKS_SMTP_FROM.read(env),
        to=(),
        subject="",
    )


@dataclass(frozen=True)
class StatusChange:
    """A system status change of a hook, with what a person needs to act on it."""

    hook: Hook
    old: HookStatus
    new: HookStatus
    at: dt.datetime
    failures: int
    threshold: int
    held: int
    pending: int


def status_message(change: StatusChange, site_url: str) -> tuple[str, str]:
    """The subject and body of the email about ``change`` (pure)."""
    hook = change.hook
    name = hook.config.name or hook.config.url
    subject = f"shotlog webhook {name!r} is {change.new.value}"
    lines = [
        f"The webhook {name!r} ({hook.id}) went from {change.old.value} to {change.new.value} "
        f"at {change.at:%Y-%m-%d %H:%M:%S} UTC.",
        "",
        f"URL: {hook.config.url}",
        f"Failed requests in the last 24 hours: {change.failures} (Failed at {change.threshold})",
        f"Last error: {hook.last_error or 'none recorded'}",
    ]
    if change.new is HookStatus.FAILED:
        lines += [
            "",
            "Nothing but status changes is sent to it now. Its events are not lost: "
            f"{change.held} held so far, and every new one is held too.",
            "When the receiver works again, enable the hook (web UI: Enable; REST: PUT "
            '/api/v1/webhook/hooks/<id> {"status": "active"}; CLI: shotlog webhooks enable '
            f"{hook.id}) and the held events are sent, oldest first.",
        ]
    else:
        lines += [
            "",
            f"Deliveries still go out and failed ones are retried ({change.pending} pending). "
            "The hook turns Active again after 24 hours without a failed request, or Failed at "
            f"{change.threshold} failed requests within 24 hours.",
        ]
    lines += ["", f"{site_url}webhooks/{hook.id}"]
    return subject, "\n".join(lines) + "\n"


class StatusNotifier:
    """Queues status emails and sends them from a thread; does nothing without an SMTP server."""

    def __init__(self, mailer: Mailer | None, site_url: str) -> None:
        self.mailer = mailer
        self.site_url = site_url
        self.sent = 0
        self._queue: queue.Queue[StatusChange | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_env(cls, site_url: str, env: Mapping[str, str] | None = None) -> StatusNotifier:
        try:
            config = smtp_config(env)
        except ValueError as exc:  # a bad setting or daemon file: say so, keep delivering
            log.error("webhook status emails are off: %s", exc)
            config = None
        return cls(Mailer(config) if config is not None else None, site_url)

    def notify(self, change: StatusChange) -> None:
        """Mail ``change`` to the hook's addresses, later, when it is worth a person's attention."""
        if not change.new.alarming or not change.hook.config.notify_emails:
            return
        if self.mailer is None:
            log.warning(
                "webhook %s is %s; no SMTP server is set to mail %s (SHOTLOG_WEBHOOKS_SMTP_SERVER)",
                change.hook.id,
                change.new.value,
                ", ".join(change.hook.config.notify_emails),
            )
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhook-notify", daemon=True)
            self._thread.start()
        self._queue.put(change)

    def close(self, timeout: float = 15.0) -> None:
        """Send what is queued (for up to ``timeout`` seconds), then stop the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        assert self.mailer is not None
        while (change := self._queue.get()) is not None:
            subject, body = status_message(change, self.site_url)
            try:
                self.mailer.send(subject, body, change.hook.config.notify_emails)
                self.sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                log.warning(
                    "could not mail %s about webhook %s: %s",
                    ", ".join(change.hook.config.notify_emails),
                    change.hook.id,
                    exc,
                )
