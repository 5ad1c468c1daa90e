"""Request bodies read only up to a small size, for endpoints that anyone may call unsigned.

The sign-in form and the REST token endpoint take a few short fields. Starlette's form parser
reads a form-encoded body of any size, so these endpoints read at most ``MAX_SIGNIN_BODY`` bytes
first and refuse a larger body before parsing it or checking any password.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Message

__all__ = ["MAX_SIGNIN_BODY", "bounded"]

#: bytes a sign-in or token request may have: its fields are a login, a password or a token
MAX_SIGNIN_BODY = 64 * 1024


async def bounded(request: Request, limit: int = MAX_SIGNIN_BODY) -> Request | None:
    """``request`` with its body read, ready for ``form()`` or ``body()``; None when the body is
    larger than ``limit`` bytes (by its Content-Length, or as it arrives)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    body = b"".join(chunks)
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await request.receive()  # after the body, only a disconnect can come

    return Request(request.scope, receive)
