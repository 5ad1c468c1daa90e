"""The api3 envelope: decoding requests and encoding replies. Pure.

Requests are ``{"method_name": M, "params": [auth, args]}``; replies are ``{"results": X}`` or the
error envelope ``{"exception": true, "message": ..., "error_code": N}``, always with HTTP 200
(shotgun_api3 retries 502/504, which could repeat a create). Datetimes leave as
``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the only form the client turns back into datetimes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "AUTH_FAILED",
    "CRUD_ERROR",
    "Call",
    "ProtocolError",
    "check_payload",
    "decode",
    "encode",
    "error_body",
    "result_body",
]

AUTH_FAILED = 102
CRUD_ERROR = 104

#: deepest nesting of arrays/objects a request may have. Filter groups and values are handled
#: recursively further in; real requests stay far below this.
MAX_DEPTH = 64
#: numbers are stored as 64-bit integers: anything wider is refused here, naming the culprit
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


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
    payload = _parse(body)
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
        raise ProtocolError(f"params[0] must be the auth object, got {type(auth).__name__}", AUTH_FAILED)
    args = params[1] if len(params) > 1 else None
    return Call(method, dict(auth) if auth is not None else None, args)


#: a run of 19 digits could be an integer wider than 64 bits, which orjson would read as a float
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _parse(body: bytes) -> Any:
    """The request as Python values, refusing what ``check_payload`` refuses.

    The common request goes through orjson alone: it already refuses unpaired surrogates and
    invalid UTF-8, and the body is known to hold no integer past 64 bits (no run of 19 digits) and
    no nesting past ``MAX_DEPTH`` (fewer opening brackets than that, counted in strings too). Any
    other body, or one orjson refuses, takes the checked path, which accepts exactly what it did
    before (NaN, UTF-16 and the like) and names what it refuses.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH and not _LONG_DIGITS.search(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # the checked path says what is wrong, or accepts what only orjson refuses
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError(f"Request body is nested more than {MAX_DEPTH} levels deep") from None
    check_payload(payload)
    return payload


def _located(at: tuple[str | int, ...]) -> str:
    """`` (in params[1].filters[0])``: where in the request a refused value sits."""
    if not at:
        return ""
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in at).lstrip(".")
    return f" (in {text[:200]})"


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate ("\ud800"): valid JSON, not valid Unicode
        return False
    return True


def check_payload(payload: Any) -> None:
    """Refuse what JSON allows but no layer below can hold, before it reaches them.

    Nesting deeper than ``MAX_DEPTH``, integers wider than 64 bits and text with unpaired
    surrogates are the caller's mistakes; left in, they surface as recursion, overflow or encoding
    errors deep inside the store. Iterative, so a deep payload cannot exhaust the stack here.
    """
    # each value travels with where it sits, so that a fault names the parameter
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(payload, 1, ())]
    while stack:
        value, depth, at = stack.pop()
        if isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        if isinstance(value, int):
            if not INT_MIN <= value <= INT_MAX:
                digits = str(value)
                shown = digits if len(digits) <= 40 else f"{digits[:20]}...({len(digits)} digits)"
                raise ProtocolError(f"Integer {shown} does not fit in 64 bits{_located(at)}")
            continue
        if isinstance(value, str):
            if not _valid_text(value):
                raise ProtocolError(
                    f"Text {value[:100]!r} is not valid Unicode (unpaired surrogate){_located(at)}"
                )
            continue
        if depth > MAX_DEPTH:
            raise ProtocolError(f"Request body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                if not _valid_text(key):
                    raise ProtocolError(
                        f"Key {key[:100]!r} is not valid Unicode (unpaired surrogate){_located(at)}"
                    )
                stack.append((item, depth + 1, (*at, key)))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, (*at, i)) for i, item in enumerate(value))


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        # isoformat, not strftime: "%Y" drops the leading zeros of years before 1000 on glibc
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, decimal.Decimal):  # PostgreSQL numeric aggregates
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Datetimes are stored and read as naive UTC; on the wire they are "YYYY-MM-DDTHH:MM:SSZ", which is
# what orjson writes for them with these options (an aware one in UTC gets the same "Z").
_ORJSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def encode(body: Any) -> bytes:
    try:
        return orjson.dumps(body, default=_default, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, OverflowError):
        # What orjson refuses and the client still deserves an answer for: a lone surrogate echoed
        # back in a message (escaped as \udxxx here), an integer beyond 64 bits in an error echo.
        return json.dumps(body, default=_default, ensure_ascii=True, separators=(",", ":")).encode()


def result_body(results: Any) -> bytes:
    return encode({"results": results})


def error_body(message: str, code: int = CRUD_ERROR) -> bytes:
    return encode({"exception": True, "message": message, "error_code": code})
