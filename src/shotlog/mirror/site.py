"""The site a mirror follows: its shotgun_api3 connection, at most ``rate`` requests a second, and
what a failure means (wrong credentials stop the mirror; anything else is waited out)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xmlrpc.client import ProtocolError  # what shotgun_api3 raises for HTTP errors (429, 5xx)

from shotgun_api3.shotgun import AuthenticationFault, Fault, Shotgun

from shotlog.mirror.records import FIELDS

__all__ = ["Credentials", "Site", "SiteRefused", "SiteUnreachable"]

_ASC = [{"field_name": "id", "direction": "asc"}]
_DESC = [{"field_name": "id", "direction": "desc"}]


class SiteRefused(Exception):
    """The site refused the credentials: retrying cannot help."""


class SiteUnreachable(Exception):
    """The site could not be reached or answered an error (429, 5xx...): try again later."""


@dataclass(frozen=True)
class Credentials:
    script_name: str | None = None
    api_key: str | None = None
    login: str | None = None
    password: str | None = None


class Site:
    def __init__(
        self, url: str, credentials: Credentials, *, rate: float = 0.0, timeout: float = 60.0
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.rate = rate
        self.timeout = timeout
        self._sg: Any = None
        self._next_call = 0.0
        self._stop = threading.Event()

    def _client(self) -> Any:
        if self._sg is None:
            c = self.credentials
            try:
                sg = Shotgun(
                    self.url,
                    script_name=c.script_name,
                    api_key=c.api_key,
                    login=c.login,
                    password=c.password,
                    connect=False,
                )
            except ValueError as exc:  # the client's own check of the URL and the credentials' shape
                raise SiteRefused(f"the FPTR site {self.url!r} cannot be used: {exc}") from None
            # The mirror backs off itself, with its status telling why: one try per call.
            sg.config.max_rpc_attempts = 1
            # Times as the site sends them, naive UTC, both ways: the mirror keeps UTC, and the
            # client's conversion to this machine's zone (a zone lookup per time) was most of
            # what reading a page cost this process beyond the request.
            sg.config.convert_datetimes_to_utc = False
            sg.config.timeout_secs = self.timeout
            self._sg = sg
        return self._sg

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.rate > 0:
            wait = self._next_call - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)
            self._next_call = max(self._next_call, time.monotonic()) + 1.0 / self.rate
        try:
            return getattr(self._client(), method)(*args, **kwargs)
        except AuthenticationFault as exc:
            self.close()
            raise SiteRefused(f"the FPTR site {self.url} refused the credentials: {exc}") from None
        except (ProtocolError, Fault, OSError) as exc:
            self.close()
            raise SiteUnreachable(f"cannot read the FPTR site {self.url}: {_reason(exc)}") from None

    def page(self, after: int, limit: int) -> list[dict[str, Any]]:
        return list(
            self._call(
                "find", "EventLogEntry", [["id", "greater_than", after]], list(FIELDS), _ASC, limit=limit
            )
        )

    def by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return list(self._call("find", "EventLogEntry", [["id", "in", list(ids)]], list(FIELDS), _ASC))

    def names(self, entity_type: str, ids: Sequence[int], field: str) -> dict[int, str | None]:
        """The display names (``field``) of these entities, as text; missing: not on the site (or retired)."""
        found = self._call("find", entity_type, [["id", "in", list(ids)]], [field])
        return {int(e["id"]): None if e.get(field) is None else str(e.get(field)) for e in found}

    def head(self) -> tuple[int, dt.datetime | None]:
        """The site's newest event: (id, created_at in naive UTC), (0, None) on an empty log."""
        newest = self._call("find_one", "EventLogEntry", [], ["id", "created_at"], order=_DESC)
        if not newest:
            return 0, None
        return int(newest["id"]), newest.get("created_at")

    def first_id_since(self, since: dt.datetime) -> int | None:
        """The first event at or after ``since`` (naive: UTC)."""
        if since.tzinfo is not None:
            since = since.astimezone(dt.UTC).replace(tzinfo=None)
        found = self._call(
            "find_one",
            "EventLogEntry",
            [["created_at", "greater_than", since - dt.timedelta(seconds=1)]],
            ["id"],
            order=_ASC,
        )
        return None if not found else int(found["id"])

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self._sg is not None:
            close = getattr(self._sg, "close", None)
            if callable(close):
                close()
            self._sg = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ProtocolError):
        code = getattr(exc, "errcode", None)
        msg = getattr(exc, "errmsg", "")
        if code == 429:
            return f"HTTP 429 {msg} (the site's rate limit: lower SHOTLOG_MIRROR_RATE_LIMIT)".strip()
        return f"HTTP {code} {msg}".strip()
    return f"{type(exc).__name__}: {exc}"
