"""The credentials at the head of a large api3 body, read before the rest of it arrives. Pure.

api3 sends its credentials inside the JSON body, as ``params[0]``, so an endpoint that parsed a
body before knowing its caller would let anyone make it parse 64 MB. shotgun_api3 writes
``{"method_name": ..., "params": [<auth>, <args>]}`` in that order (``Shotgun._build_payload``),
so the credentials are within the first few hundred bytes: ``leading_auth`` reads them from the
body's head alone, and the endpoint checks them before it reads or parses the rest.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

__all__ = ["leading_auth"]

_SPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def leading_auth(head: bytes) -> dict[str, Any] | None:
    """``params[0]`` of the call whose body begins with ``head``, when it is an object that ends
    within ``head`` (every key before ``params`` too); None otherwise: not found, not an object,
    or not JSON. The rest of the body is not looked at, so the call may still be malformed."""
    try:
        encoding = json.detect_encoding(head[:4])
        # an incremental decoder keeps a character cut at the end of the head for later, and
        # still refuses bytes that are not in the encoding
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        at = _skip(text, 0)
        if text[at : at + 1] != "{":
            return None
        at += 1
        while True:
            at = _skip(text, at)
            if text[at : at + 1] != '"':
                return None  # the object's end, or not JSON: no params in the head
            key, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text[at : at + 1] != ":":
                return None
            at = _skip(text, at + 1)
            if key == "params":
                if text[at : at + 1] != "[":
                    return None
                at = _skip(text, at + 1)
                if text[at : at + 1] != "{":
                    return None
                auth, _ = _DECODER.raw_decode(text, at)
                return auth if isinstance(auth, dict) else None
            _, at = _DECODER.raw_decode(text, at)  # another key's value (method_name's): skipped
            at = _skip(text, at)
            if text[at : at + 1] != ",":
                return None
            at += 1
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None
