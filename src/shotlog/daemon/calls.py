"""One call of a plugin's callback: transient errors retried with back-off, the error report mailed
as upstream's, one line in the timing log."""

from __future__ import annotations

import datetime as dt
import logging
import pprint
import time
import traceback
from collections.abc import Callable
from typing import Any

from shotlog import backoff
from shotlog.daemon.conf import DaemonConfig
from shotlog.daemon.logs import timing_line
from shotlog.daemon.registrar import Callback

__all__ = ["TRANSIENT_FIRST_DELAY", "TRANSIENT_RETRIES", "call", "is_transient"]

timing = logging.getLogger("timing")

#: retries of a callback that failed with a transient connection error, and the first delay
TRANSIENT_RETRIES = 4
TRANSIENT_FIRST_DELAY = 0.5


def is_transient(exc: BaseException) -> bool:
    """Network trouble worth running the callback again for: a site that refused the connection or
    timed out, 5xx/408/429 from the site.

    A connection broken or reset in the middle of a call is not: the callback may already have
    changed data through earlier calls, and running it again would do that twice.
    """
    from xmlrpc.client import ProtocolError  # what shotgun_api3 raises for HTTP errors

    if isinstance(exc, BrokenPipeError | ConnectionResetError):
        return False
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, ProtocolError):
        code = getattr(exc, "errcode", 0) or 0
        return int(code) >= 500 or int(code) in (408, 429)
    return isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError)


def call(
    cb: Callback, event: dict[str, Any], config: DaemonConfig, plugin: str, stopping: Callable[[], bool]
) -> str | None:
    """Call ``cb`` on ``event``; the error text, or None on success. A transient error is retried
    (``TRANSIENT_RETRIES`` times, unless the daemon is ``stopping``) before it counts."""
    attempt = 0
    timed = config.timing_log
    while True:
        start = dt.datetime.now(dt.UTC).astimezone() if timed else None
        failed = True
        try:
            sg = cb.sg
            if config.use_session_uuid:
                sg.set_session_uuid(event.get("session_uuid"))
            cb.function(sg, cb.logger, event, cb.args)
            failed = False
            return None
        except Exception as exc:
            if is_transient(exc) and attempt < TRANSIENT_RETRIES and not stopping():
                attempt += 1
                delay = backoff.delay(attempt, TRANSIENT_FIRST_DELAY)
                cb.logger.warning(
                    "Transient error in %s on event %s (%s); retry %d in %.1f s",
                    cb.name,
                    event.get("id"),
                    exc,
                    attempt,
                    delay,
                )
                time.sleep(delay)
                continue
            _report(cb, exc, log_locals=config.log_locals)
            return f"{type(exc).__name__}: {exc}"
        finally:
            if start is not None:
                end = dt.datetime.now(dt.UTC).astimezone()
                created = event.get("created_at")
                timing.info(
                    timing_line(
                        int(event.get("id") or 0),
                        created if isinstance(created, dt.datetime) else None,
                        f"{plugin}.{cb.name}",
                        start,
                        end,
                        failed,
                    )
                )


def _report(cb: Callback, exc: Exception, *, log_locals: bool) -> None:
    text = "An error occured processing an event.\n\n" + traceback.format_exc()
    if log_locals:
        # Opt-in: upstream always mails the locals of the plugin's frame, secrets included.
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            text += "\nLocal variables at outermost frame in plugin:\n\n" + pprint.pformat(
                tb.tb_frame.f_locals
            )
    cb.logger.critical(text)
