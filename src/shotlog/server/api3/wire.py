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

from shotlog.server import large_json

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


def decode(body: bytes, *, yielding: bool = False) -> Call:
    """The call in ``body``; ``yielding``: parsed so that other threads keep running meanwhile
    (``_parse_yielding``), for a large body parsed in a worker thread."""
    payload = _parse_yielding(body) if yielding else _parse(body)
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


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: bytes of a large body searched at a time
_SEARCH_PIECE = 256 * 1024


def _parse_yielding(body: bytes) -> Any:
    """``body`` parsed as the checked path of ``_parse`` does, without holding the GIL for long
    (``server.large_json``), for a large body in a worker thread."""
    try:
        payload = large_json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError(f"Request body is nested more than {MAX_DEPTH} levels deep") from None
    try:
        check_payload(payload, scalars=_may_not_fit(body))
    except ProtocolError:
        large_json.dismantle(payload)
        raise
    return payload


def _may_not_fit(body: bytes) -> bool:
    """Whether ``body`` may hold an unpaired surrogate (only a backslash-u escape can write one in
    UTF-8) or an integer wider than 64 bits (19 digits or more); else ``check_payload`` need only
    look at the nesting. A body in another encoding is checked whole."""
    if json.detect_encoding(body[:4]) not in ("utf-8", "utf-8-sig"):
        return True
    # a piece at a time: one search of a large body would hold the GIL for a second
    for start in range(0, len(body), _SEARCH_PIECE):
        end = start + _SEARCH_PIECE + 18  # overlapping by a match's length less one
        if _SURROGATE_ESCAPE.search(body, start, end) or _LONG_DIGITS.search(body, start, end):
            return True
    return False


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


def check_payload(payload: Any, *, scalars: bool = True) -> None:
    """Refuse what JSON allows but no layer below can hold, before it reaches them.

    Nesting deeper than ``MAX_DEPTH``, integers wider than 64 bits and text with unpaired
    surrogates are the caller's mistakes; left in, they surface as recursion, overflow or encoding
    errors deep inside the store. Iterative, so a deep payload cannot exhaust the stack here; only
    containers are stacked (a list of millions of strings allocates nothing per string).
    ``scalars=False`` checks the nesting only, for a text known to hold no such number or text.
    """
    if scalars:
        _check_scalar(payload, ())
    # each container travels with where it sits, so that a fault names the parameter
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(payload, 1, ())]
    while stack:
        value, depth, at = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ProtocolError(f"Request body is nested more than {MAX_DEPTH} levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and not _valid_text(key):
                raise ProtocolError(
                    f"Key {key[:100]!r} is not valid Unicode (unpaired surrogate){_located(at)}"
                )
            if isinstance(item, dict | list):
                stack.append((item, depth + 1, (*at, key)))
            elif scalars and not (item is None or isinstance(item, bool | float)):
                _check_scalar(item, at, key)


def _check_scalar(value: Any, at: tuple[str | int, ...], key: str | int | None = None) -> None:
    """Refuse an integer past 64 bits or text that is not valid Unicode; ``key`` is its place in
    the container at ``at``."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            digits = str(value)
            shown = digits if len(digits) <= 40 else f"{digits[:20]}...({len(digits)} digits)"
            where = at if key is None else (*at, key)
            raise ProtocolError(f"Integer {shown} does not fit in 64 bits{_located(where)}")
    elif isinstance(value, str) and not _valid_text(value):
        where = at if key is None else (*at, key)
        raise ProtocolError(
            f"Text {value[:100]!r} is not valid Unicode (unpaired surrogate){_located(where)}"
        )


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
