"""The api3 envelope: decoding requests and encoding replies. Pure.

Requests are ``{"method_name": M, "params": [auth, args]}``; replies are ``{"results": X}`` or the
error envelope ``{"exception": true, "message": ..., "error_code": N}``, always with HTTP 200
(shotgun_api3 retries 502/504, which could repeat a create). Datetimes leave as
``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the only form the client turns back into datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AUTH_FAILED",
    "CRUD_ERROR",
    "Call",
    "ProtocolError",
    "decode",
    "encode",
    "error_body",
    "result_body",
]

AUTH_FAILED = 102
CRUD_ERROR = 104


class ProtocolError(Exception):
    def __init__(self, message: str, code: int = CRUD_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    auth: dict[str, Any] | None
    args: Any


def decode(body: bytes) -> Call:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(payload, Mapping):
        raise ProtocolError("Request body must be a JSON object with method_name and params")
    method = payload.get("method_name")
    if not isinstance(method, str) or not method:
        raise ProtocolError(f"method_name must be a non-empty string, got {method!r}")
    params = payload.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise ProtocolError(f"params must be a list [auth, args], got {type(params).__name__}")
    if method == "info":
        return Call(method, None, None)
    auth = params[0] if params else None
    if auth is not None and not isinstance(auth, Mapping):
        raise ProtocolError(f"params[0] must be the auth object, got {type(auth).__name__}", 102)
    args = params[1] if len(params) > 1 else None
    return Call(method, dict(auth) if auth is not None else None, args)


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(body: Any) -> bytes:
    return json.dumps(body, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def result_body(results: Any) -> bytes:
    return encode({"results": results})


def error_body(message: str, code: int = CRUD_ERROR) -> bytes:
    return encode({"exception": True, "message": message, "error_code": code})
