"""Who is signed in to the web UI, and the CSRF tokens of their forms.

* A sign-in issues a server-side token (``session_tokens``, kind ``web``, stored as a SHA-256
  digest) sent as an HttpOnly, SameSite=Lax cookie; signing out deletes the row, so a stolen
  cookie dies with the session. The user's state is read on every request (through
  ``Credentials.token``), so a disabled or retired user is out at once, and so is every session of
  a user whose password changes (their credentials epoch moves: ``shotlog.store.epochs``). The
  person who changes their own password keeps a session: the page that changed it renews it.
* CSRF: every form carries a token derived from the session token (SHA-256 of a label and the
  token). It is per session and needs no storage; a page on another site can neither read the
  cookie nor compute the token. The sign-in form, which has no session yet, uses a double-submit
  cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from shotlog.accounts.credentials import Credentials, Principal
from shotlog.settings import WEB_SECURE_COOKIES

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "check_csrf",
    "clear_session",
    "csrf_token",
    "current_user",
    "login_csrf",
    "renew_session",
    "set_session",
]

COOKIE = "shotlog_session"
LOGIN_COOKIE = "shotlog_login_csrf"
KIND = "web"


def _secure(request: Request) -> bool:
    """Secure cookies over HTTPS, or always when SHOTLOG_WEB_SECURE_COOKIES=1 (behind a TLS proxy)."""
    setting = WEB_SECURE_COOKIES.read()  # None: auto
    return request.url.scheme == "https" if setting is None else setting


def current_user(request: Request, credentials: Credentials) -> Principal | None:
    """The signed-in HumanUser of this request, or None. Runs a query: call it in the thread pool."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    principal = credentials.token(token, KIND)
    if principal is None or principal.type != "HumanUser":
        return None
    return principal


def set_session(request: Request, response: Response, credentials: Credentials, user: Principal) -> None:
    previous = request.cookies.get(COOKIE)
    if previous:  # a sign-in always starts a new session; the old one ends
        credentials.revoke(previous)
    token, _expires = credentials.issue(user, KIND)
    # No max_age: the cookie lives for the browser session, and the token's own expiry (24 h) is
    # enforced server-side on every request.
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/")


def renew_session(request: Request, response: Response, credentials: Credentials, user: Principal) -> None:
    """A new session for ``user`` after their own password change ended the one this request had.

    Issued in the epoch the change moved to (read now), so only the changer's browser stays in."""
    set_session(request, response, credentials, replace(user, epoch=None))


def clear_session(request: Request, response: Response, credentials: Credentials) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        credentials.revoke(token)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def csrf_token(request: Request) -> str:
    """The CSRF token of the signed-in session (empty without one)."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return ""
    return hashlib.sha256(b"shotlog-web-csrf:" + token.encode()).hexdigest()


def login_csrf(request: Request, response: Response) -> str:
    """The sign-in form's double-submit token: the cookie's if it has one, else a new one, set."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    if len(value) != 43:
        value = secrets.token_urlsafe(32)
    response.set_cookie(LOGIN_COOKIE, value, httponly=True, samesite="lax", secure=_secure(request), path="/")
    return value


def check_csrf(request: Request, submitted: object, *, login: bool = False) -> bool:
    expected = request.cookies.get(LOGIN_COOKIE, "") if login else csrf_token(request)
    if not expected or not isinstance(submitted, str):
        return False
    # bytes: compare_digest refuses non-ASCII str, and a forged token may be anything
    return hmac.compare_digest(expected.encode(), submitted.encode())
