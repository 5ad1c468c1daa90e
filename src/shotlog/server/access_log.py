"""uvicorn's access log, without secrets.

uvicorn writes each request line, query string included: a token request that carries its
password or client secret in the URL, as FPTR allows, would leave it in the log. So every access
log record passes ``RedactSecrets`` first:

* on the sign-in paths (``SIGNIN_PATHS``) the whole query string is replaced;
* elsewhere, the value of any parameter whose name says it is a secret (``secret_name``) is.
"""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["REDACTED", "SIGNIN_PATHS", "RedactSecrets", "log_config", "redact", "secret_name"]

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


class RedactSecrets(logging.Filter):
    """Rewrites the request target of uvicorn's access log records (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client_addr, method, full_path, http_version, status_code)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact(args[2]), args[3], args[4])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with ``RedactSecrets`` on the access log's handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["handlers"]["access"].setdefault("filters", []).append("redact_secrets")
    return config
