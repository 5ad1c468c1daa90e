"""Admin > Personal access tokens: every person's tokens, for user administrators.

FPTR's admins manage people's credentials; here they see each token's name, owner, when it was
made, when it expires and when it was last used (never its secret, which nothing keeps), and revoke
any of them. The route asks ``administer_users`` (the rule sets' decision, as the People and Scripts
pages do); revoking goes through ``shotlog.accounts.access_tokens`` as the owner's own revocation
does, so it writes the same ``ShotGrid_PAT_Removed`` event, naming the admin who did it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.accounts.credentials import Principal
from shotlog.clock import utcnow_seconds
from shotlog.web.pages import Web

__all__ = ["TokenPages"]


class TokenPages:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.tokens = web.credentials.access_tokens

    def _page(self, request: Request) -> Response:
        now = utcnow_seconds()
        tokens = self.tokens.everyone()
        owners = self.tokens.owners(tokens)
        rows = [(t, t.expired(now), owners.get(t.user_id)) for t in tokens]
        return self.web.render(request, "tokens.html", rows=rows)

    async def index(self, request: Request) -> Response:
        return await run_in_threadpool(self._page, request)

    async def revoke(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user
        token_id: int = request.path_params["id"]

        def revoke() -> str | None:
            token = self.tokens.get(token_id)
            if token is None:
                return None
            # the admin is the actor: the event says who revoked whose token
            self.tokens.revoke(self.web.view(user).actor, token_id)
            owner = self.tokens.owners([token]).get(token.user_id, {})
            return (
                f"{token.name!r} of {owner.get('name') or owner.get('login') or f'HumanUser {token.user_id}'}"
            )

        revoked = await run_in_threadpool(revoke)
        if revoked is None:
            return self.web.not_found(request, f"There is no personal access token {token_id}.")
        return self.web.redirect(
            "/admin/tokens", f"The token {revoked} is revoked; it is refused from now on."
        )
