"""Expiring signatures for the URLs shotlog hands out (thumbnails, downloads, uploads); pure.

A token is ``{expires}.{signature}``: the expiry in Unix seconds and the unpadded url-safe base64
of HMAC-SHA256 over the purpose, the subject and the expiry. A token signed for one purpose
("thumbnail") or subject (an object key) is worthless for any other, and after its expiry for all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["new_secret", "sign", "verify"]

SECRET_BYTES = 32
#: twelve digits at most (the year 33658): a token's expiry is read without parsing huge numbers
MAX_EXPIRES = 10**12 - 1


def new_secret() -> bytes:
    """A random key for ``sign``: 256 bits, as HMAC-SHA256 wants."""
    return secrets.token_bytes(SECRET_BYTES)


def _message(purpose: str, subject: str, expires: int) -> bytes:
    # each part prefixed with its length, so no two (purpose, subject) pairs sign the same bytes
    parts = [purpose.encode(), subject.encode(), str(expires).encode()]
    return b"".join(b"%d:%s" % (len(part), part) for part in parts)


def _signature(secret: bytes, purpose: str, subject: str, expires: int) -> str:
    digest = hmac.new(secret, _message(purpose, subject, expires), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret: bytes, purpose: str, subject: str, expires: int) -> str:
    """A token good for ``purpose`` and ``subject`` until ``expires`` (Unix seconds) inclusive."""
    if not 0 <= expires <= MAX_EXPIRES:
        raise ValueError(f"expires {expires!r} is not a time between 0 and {MAX_EXPIRES}")
    return f"{expires}.{_signature(secret, purpose, subject, expires)}"


def verify(secret: bytes, purpose: str, subject: str, token: str, now: int) -> bool:
    """Whether ``token`` was signed with ``secret`` for this purpose and subject and has not
    expired at ``now``; malformed, forged and expired tokens are all just False."""
    expiry, dot, signature = str(token).partition(".")
    if not dot or not expiry.isascii() or not expiry.isdigit() or len(expiry) > len(str(MAX_EXPIRES)):
        return False
    expires = int(expiry)
    if str(expires) != expiry or now > expires:
        return False
    expected = _signature(secret, purpose, subject, expires)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
