"""The request target as the access log may show it, without secrets.

The log's line for each request (``server.request_log``) shows its target, query string included:
a token request that carries its password or client secret in the URL, as FPTR allows, would leave
it in the log. So the target passes ``redact`` first:

* on the sign-in paths (``SIGNIN_PATHS``) the whole query string is replaced;
* elsewhere, the value of any parameter whose name says it is a secret (``secret_name``) is.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

__all__ = ["REDACTED", "SIGNIN_PATHS", "redact", "secret_name"]

REDACTED = "[redacted]"
#: paths whose query strings are never logged: they exist to receive credentials
SIGNIN_PATHS = ("/api/v1/auth/access_token", "/login", "/api3/json")
_SECRET_WORDS = ("password", "secret", "token", "key", "session")


def secret_name(name: str) -> bool:
    """Whether a query parameter called ``name`` may carry a credential (pure)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redact(path_with_query: str) -> str:
    """The request target as it may be logged (pure)."""
    path, mark, query = path_with_query.partition("?")
    if not mark or not query:
        return path_with_query
    if path.rstrip("/") in SIGNIN_PATHS:
        return f"{path}?{REDACTED}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(secret_name(name) for name, _ in pairs):
        return path_with_query
    kept = [(name, REDACTED if secret_name(name) else value) for name, value in pairs]
    return f"{path}?{urlencode(kept, safe='[]')}"
