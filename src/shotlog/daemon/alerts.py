"""Email alerts: errors of the engine and of plugins, sent by SMTP off the processing threads.

Upstream sends one email per failure, synchronously, inside its loop. Here an ``AlertHandler``
(a ``logging.Handler`` at ERROR, on the engine logger and every plugin logger) queues the record and
returns; one sender thread groups records by recipients and sends at most one email per group
every ``interval`` seconds (the first at once), so a plugin failing on every event cannot flood a
mailbox or slow processing. SMTP with STARTTLS (``useTLS``) or implicit TLS (``useSSL``), optional
AUTH. Subjects keep upstream's form: ``<subject> ERROR - SG event daemon.`` (or CRITICAL).
"""

from __future__ import annotations

import logging
import queue
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage

from shotlog.daemon.conf import EmailConfig

__all__ = ["AlertHandler", "Mailer"]

log = logging.getLogger("engine.alerts")

_FORMAT = (
    "Time: %(asctime)s\nLogger: %(name)s\nPath: %(pathname)s\nFunction: %(funcName)s\n"
    "Line: %(lineno)d\n\n%(message)s"
)


class Mailer:
    """Sends one message; the SMTP dialogue only."""

    def __init__(
        self, config: EmailConfig, *, timeout: float = 10.0, context: ssl.SSLContext | None = None
    ) -> None:
        self.config = config
        self.timeout = timeout
        self.context = context or ssl.create_default_context()

    def send(self, subject: str, body: str, to: tuple[str, ...]) -> None:
        cfg = self.config
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = cfg.sender
        msg["To"] = ", ".join(to)
        msg.set_content(body)
        smtp: smtplib.SMTP
        if cfg.use_ssl:
            smtp = smtplib.SMTP_SSL(cfg.server, cfg.port, timeout=self.timeout, context=self.context)
        else:
            smtp = smtplib.SMTP(cfg.server, cfg.port, timeout=self.timeout)
        with smtp:
            if cfg.use_tls:
                smtp.starttls(context=self.context)
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
            smtp.send_message(msg)


class AlertHandler(logging.Handler):
    """Queues ERROR records; a thread mails them in rate-limited digests."""

    def __init__(
        self,
        mailer: Mailer,
        *,
        interval: float,
        recipients: Callable[[logging.LogRecord], tuple[str, ...] | None] = lambda r: None,
        host: str | None = None,
    ) -> None:
        super().__init__(logging.ERROR)
        self.mailer = mailer
        self.interval = interval
        self.recipients = recipients
        self.host = host or socket.gethostname()
        self.setFormatter(logging.Formatter(_FORMAT))
        self._queue: queue.Queue[logging.LogRecord | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()
        self.sent = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == log.name:
            return  # never mail about mailing
        self._queue.put(record)

    def _run(self) -> None:
        last_sent: dict[tuple[str, ...], float] = {}
        pending: dict[tuple[str, ...], list[logging.LogRecord]] = {}
        stopping = False
        while True:
            timeout = 0.2 if pending else None
            try:
                item = self._queue.get(timeout=timeout)
                if item is None:
                    stopping = True
                else:
                    to = self.recipients(item)
                    to = self.mailer.config.to if to is None else to
                    if to:
                        pending.setdefault(tuple(to), []).append(item)
            except queue.Empty:
                pass
            now = time.monotonic()
            for to in list(pending):
                if stopping or now - last_sent.get(to, -1e18) >= self.interval:
                    self._send(to, pending.pop(to))
                    last_sent[to] = now
            if stopping and self._queue.empty():
                return

    def _send(self, to: tuple[str, ...], records: list[logging.LogRecord]) -> None:
        worst = max(records, key=lambda r: r.levelno)
        subject = f"{self.mailer.config.subject} {worst.levelname} - SG event daemon."
        parts = [self.format(r) for r in records]
        if len(records) > 1:
            parts.insert(0, f"{len(records)} errors on {self.host} since the last message.")
        try:
            self.mailer.send(subject, "\n\n----\n\n".join(parts), to)
            self.sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("could not send an alert email to %s: %s", ", ".join(to), exc)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=self.mailer.timeout + 5)
        super().close()
