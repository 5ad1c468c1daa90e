"""``POST /api/v1/auth/access_token``: the REST API's grants (client credentials, password,
refresh token, api3 session token) and the tokens they buy (``shotlog.accounts.credentials``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from shotlog.access.passwords import PasswordsBusy
from shotlog.accounts.access_tokens import is_token
from shotlog.accounts.credentials import Credentials, Grant, Principal, RefreshReused
from shotlog.accounts.signin_body import MAX_SIGNIN_BODY, bounded
from shotlog.accounts.signins import PASSWORD, PERSONAL_ACCESS_TOKEN
from shotlog.errors import shown
from shotlog.eventlog.events import Actor
from shotlog.server.responses import HttpError, internal_error, json_response
from shotlog.server.rest.endpoint import AUTH_FAILED, reject_constant

__all__ = ["Tokens"]

log = logging.getLogger("shotlog.rest")


class Tokens:
    """The token endpoint, which needs no token: it is where a client gets one."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    async def access_token(self, request: Request) -> Response:
        try:
            params = await self._token_params(request)
            user: Principal | None = None
            address = request.client.host if request.client else ""
            if params.get("grant_type") == "password":
                await self._throttle(params.get("username"), address)
                # checked on the event loop: sign-ins waiting for a password check hold no thread
                # the password may be a personal access token (shotlog.accounts.access_tokens)
                user = await self.credentials.user_async(
                    params.get("username"), params.get("password"), tokens=True, address=address
                )
            return json_response(await run_in_threadpool(self._grant, params, user, address))
        except HttpError as exc:
            return exc.response()
        except PasswordsBusy as exc:
            return HttpError(503, exc.message, headers={"Retry-After": "1"}).response()
        except Exception:
            return internal_error(log, "access token request")

    async def _throttle(self, username: str | None, address: str) -> None:
        """A 429 when failed sign-ins of ``username`` or from ``address`` reached their limit."""
        if not username:
            return
        refused = await run_in_threadpool(self.credentials.signins.throttled, username[:255], address, "rest")
        if refused is not None:
            raise HttpError(
                429, refused.message(username[:255]), headers={"Retry-After": str(refused.retry_after)}
            )

    async def _token_params(self, request: Request) -> dict[str, str]:
        """The grant's parameters: a form (or, leniently, a JSON object) body, and the query string.

        FPTR takes them in the query string too, and clients send them there, so shotlog does; the
        access log never shows that query string (``server.access_log``)."""
        params: dict[str, str] = dict(request.query_params)
        small = await bounded(request)
        if small is None:
            raise HttpError(413, f"A token request body may have at most {MAX_SIGNIN_BODY:,} bytes")
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await small.form()
            except (HTTPException, MultiPartException, ValueError) as exc:
                detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
                raise HttpError(400, f"The form body could not be parsed: {detail}") from None
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
            await form.close()
        elif content_type.startswith("application/json"):
            raw = await small.body()
            try:
                body = json.loads(raw, parse_constant=reject_constant) if raw.strip() else {}
            except (ValueError, RecursionError):
                raise HttpError(400, "The request body is not valid JSON") from None
            if not isinstance(body, Mapping):
                raise HttpError(400, "A JSON token request must be an object of parameters")
            params.update({k: v for k, v in body.items() if isinstance(v, str)})
        return params

    def _grant(
        self, params: Mapping[str, str], user: Principal | None = None, address: str = ""
    ) -> dict[str, Any]:
        """Tokens for ``params``; ``user`` is the password grant's user, checked by the caller."""
        grant = params.get("grant_type")
        principal: Principal | None
        tokens: Grant | None = None
        if grant == "client_credentials":
            principal = self.credentials.script(params.get("client_id"), params.get("client_secret"))
        elif grant == "password":
            principal = user
        elif grant == "refresh_token":
            try:
                refreshed = self.credentials.refresh(params.get("refresh_token"))
            except RefreshReused as exc:
                # RFC 6749's invalid_grant: 400, as for any refresh token that is not good
                raise HttpError(400, exc.message, code=AUTH_FAILED) from None
            principal, tokens = refreshed if refreshed is not None else (None, None)
        elif grant == "session_token":
            principal = self.credentials.token(params.get("session_token"), "session")
        else:
            raise HttpError(
                400,
                "grant_type must be client_credentials, password, refresh_token or session_token; "
                f"got {shown(grant)}",
                source={"parameter": "grant_type"},
            )
        if principal is None:
            username = params.get("username")
            if grant == "password" and username:
                given = PERSONAL_ACCESS_TOKEN if is_token(params.get("password")) else PASSWORD
                self.credentials.signins.failed(username[:255], "rest", address, given)
            raise HttpError(400, f"Invalid credentials for grant_type {grant}", code=AUTH_FAILED)
        if grant == "password":
            # a password grant starts a session; refresh and session_token grants continue one
            # the event names a personal access token given as the password (signins.sign_in_method)
            self.credentials.signins.logged_in(principal, "rest", PASSWORD)
            if principal.access_token_id is not None:
                self._exchanged(principal)
        if tokens is None:  # a new grant: the first tokens of a new family
            tokens = self.credentials.grant(principal)
        return {
            "token_type": "Bearer",
            "access_token": tokens.access_token,
            "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh_token,
        }

    def _exchanged(self, principal: Principal) -> None:
        """FPTR's ``ShotGrid_PAT_Exchanged``: the grant traded a personal access token for tokens."""
        tokens = self.credentials.access_tokens
        token = tokens.get(principal.access_token_id) if principal.access_token_id is not None else None
        if token is not None:
            actor = Actor(principal.type, principal.id, principal.name)
            tokens.exchanged(actor, token, "REST access tokens")
