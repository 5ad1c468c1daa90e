"""REST routes of credentials managed at run time: scripts and their keys, personal access tokens.

``/api/v1/scripts`` (user administrators only, ``shotlog.accounts.scripts``):
  GET lists the scripts; POST ``{"firstname", ...ApiUser fields}`` makes one and answers its key once;
  ``/api/v1/scripts/{script}/key``: POST gives a new key (answered once), DELETE takes it away.
``/api/v1/access_tokens`` (``shotlog.accounts.access_tokens``):
  GET lists the caller's tokens (``?user_id=N``: a user administrator reads anyone's, ``?all=true``
  everyone's), each with its owner's name and never its secret; POST
  ``{"name", "expires_in_days"}`` makes one for the caller and answers its secret once;
  ``/api/v1/access_tokens/{id}``: DELETE revokes it (its owner or a user administrator).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shotlog.access.authority import may_administer_users
from shotlog.accounts.access_tokens import AccessToken, AccessTokens, token_refusal
from shotlog.accounts.credentials import Credentials
from shotlog.accounts.scripts import Scripts, authority_of
from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.errors import NotFound, PermissionDenied, ValidationError
from shotlog.server.responses import json_response
from shotlog.server.rest.endpoint import reject_constant
from shotlog.server.rest.openapi_blocks import MAX_ID

__all__ = ["CredentialRoutes"]


def _body(request: Request) -> Mapping[str, Any]:
    raw: bytes = request.state.body
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        raise ValidationError("body: the request body is not valid JSON", parameter="body") from None
    if not isinstance(body, Mapping):
        raise ValidationError("body: the request body must be a JSON object", parameter="body")
    return body


def _int(value: object, name: str) -> int:
    # ASCII digits only (str.isdigit() takes other scripts' digits too), and few enough of them
    # for int() (which refuses thousands of digits)
    digits = isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19
    if digits and 1 <= int(str(value)) <= MAX_ID:
        return int(str(value))
    shown = value[:40] if isinstance(value, str) else value
    raise ValidationError(f"{name}: a positive integer id, got {shown!r}", parameter=name)


def _yes(value: str | None, name: str) -> bool:
    """A boolean query parameter: true or false (left out: false)."""
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise ValidationError(f"{name}: true or false, got {value[:40]!r}", parameter=name)


class CredentialRoutes:
    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.scripts = Scripts(store, credentials)
        self.tokens: AccessTokens = credentials.access_tokens

    # -- scripts --------------------------------------------------------------------------------

    def list_scripts(self, request: Request, view: Shotlog) -> Any:
        who = authority_of(view)
        if not may_administer_users(who):
            raise PermissionDenied(
                f"Listing scripts needs the permission to administer users; {who.label()} does not have it"
            )
        return {"data": [s.as_json() for s in self.scripts.list()]}

    def create_script(self, request: Request, view: Shotlog) -> Response:
        body = dict(_body(request))
        if "firstname" in body and "name" in body:
            # one would be dropped unread: refuse rather than guess which the caller meant
            raise ValidationError(
                "name: give the script's name as firstname or as name, not both", field="name"
            )
        name = body.pop("firstname", body.pop("name", None))
        entity, key = self.scripts.create(view, name, body)
        made = self.scripts.find(entity["id"])
        return json_response({"data": {**made.as_json(), "script_key": key}}, 201)

    def rotate_key(self, request: Request, view: Shotlog) -> Any:
        script, key = self.scripts.rotate(view, request.path_params["script"])
        return {"data": {**script.as_json(), "script_key": key}}

    def revoke_key(self, request: Request, view: Shotlog) -> Any:
        return {"data": self.scripts.revoke(view, request.path_params["script"]).as_json()}

    # -- personal access tokens -----------------------------------------------------------------

    def list_tokens(self, request: Request, view: Shotlog) -> Any:
        who = authority_of(view)
        raw = request.query_params.get("user_id")
        if _yes(request.query_params.get("all"), "all"):
            if raw is not None:
                raise ValidationError(
                    "user_id: give user_id or all=true, not both", parameter="user_id", value=raw[:40]
                )
            if not may_administer_users(who):
                raise PermissionDenied(
                    f"Listing everyone's personal access tokens needs the permission to administer users; "
                    f"{who.label()} does not have it"
                )
            return self._tokens_json(self.tokens.everyone())
        owner = _int(raw, "user_id") if raw is not None else who.id
        if owner is None or (raw is None and who.kind != "HumanUser"):
            raise ValidationError(
                "user_id: only people have personal access tokens; name one", parameter="user_id"
            )
        refusal = token_refusal(who, owner, "list")
        if refusal is not None:
            raise PermissionDenied(refusal)
        return self._tokens_json(self.tokens.list(owner))

    def _tokens_json(self, tokens: list[AccessToken]) -> Any:
        now, owners = utcnow_seconds(), self.tokens.owners(tokens)
        return {"data": [t.as_json(now, owners.get(t.user_id, {}).get("name")) for t in tokens]}

    def create_token(self, request: Request, view: Shotlog) -> Response:
        who = authority_of(view)
        if who.kind != "HumanUser" or who.id is None:
            raise PermissionDenied(f"Personal access tokens are for people; {who.label()} is not one")
        body = _body(request)
        token, secret = self.tokens.create(view.actor, who.id, body.get("name"), body.get("expires_in_days"))
        owner = self.tokens.owners([token]).get(who.id, {}).get("name")
        return json_response({"data": {**token.as_json(utcnow_seconds(), owner), "token": secret}}, 201)

    def revoke_token(self, request: Request, view: Shotlog) -> Response:
        token_id = _int(request.path_params["token"], "token")
        token = self.tokens.get(token_id)
        if token is None:
            raise NotFound("PersonalAccessToken", token_id)
        refusal = token_refusal(authority_of(view), token.user_id, "revoke")
        if refusal is not None:
            raise PermissionDenied(refusal)
        self.tokens.revoke(view.actor, token_id)
        return Response(status_code=204)
