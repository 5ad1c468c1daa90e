"""``GET /readyz``: whether this process can serve, that is whether its database answers a query.

``/healthz`` says the process is alive; ``/readyz`` is for a load balancer or an orchestrator that
should stop sending requests to a process whose database is gone. The check is a real read through
the process's own connection pool (the head of the event log), bounded by ``TIMEOUT`` so that a
database that does not answer at all fails the check instead of hanging it. A failure answers 503
naming the check and a reference to the log entry that holds the driver's own words (which may name
hosts and users, so they are not given to an unauthenticated caller).
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError, incident_ref

__all__ = ["TIMEOUT", "Readiness"]

log = logging.getLogger(__name__)

#: seconds the database has to answer the check
TIMEOUT = 5.0


class Readiness:
    def __init__(self, store: Shotlog, timeout: float = TIMEOUT) -> None:
        self.store = store
        self.timeout = timeout

    async def readyz(self, request: Request) -> JSONResponse:
        started = time.perf_counter()
        check: dict[str, object] = {"backend": self.store.db.backend}
        try:
            head = await asyncio.wait_for(asyncio.to_thread(self.store.head_event_id), self.timeout)
        except TimeoutError:
            ref = incident_ref()
            log.error("ref %s: readiness: the database did not answer within %g s", ref, self.timeout)
            check["error"] = f"the database did not answer within {self.timeout:g} s (ref {ref})"
        except ShotlogError as exc:  # the store logged the driver's message under its reference
            check["error"] = f"the database could not be read: {exc.message}"
        except Exception:
            ref = incident_ref()
            log.exception("ref %s: readiness: the database check failed", ref)
            check["error"] = f"the database could not be read (ref {ref}); the server log has the details"
        else:
            check["head_event_id"] = head
        check["seconds"] = round(time.perf_counter() - started, 4)
        if "error" in check:
            body = {"status": "unavailable", "failed": ["database"], "checks": {"database": check}}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "checks": {"database": check}})
