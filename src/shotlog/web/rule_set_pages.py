"""The permission rule sets admin page (FPTR's Admin > Permissions): every set, one set's rules,
and a form that changes one rule.

For user administrators (the route's capability and ``shotlog.accounts.rule_edits`` both ask). A change
applies at once in this process and within a second in the others, and writes FPTR's
``Shotgun_PermissionRuleSet_*Rule`` event naming the person who made it.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.access.rules import CAPABILITIES, OPERATIONS
from shotlog.accounts.credentials import Principal
from shotlog.accounts.rule_edits import change_rule, find_rule_set, rule_change_from, rule_sets, target_of
from shotlog.errors import NotFound, ShotlogError
from shotlog.web.pages import Web

__all__ = ["RuleSetPages"]

#: the form's decisions and what each sets ``allowed`` to
_DECISIONS = {"allow": True, "refuse": False, "default": None}


class RuleSetPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    async def index(self, request: Request) -> Response:
        def show() -> Response:
            return self.web.render(request, "rule_sets.html", rule_sets=rule_sets(self.web.store))

        return await run_in_threadpool(show)

    def _page(
        self,
        request: Request,
        key: str,
        status: int = 200,
        errors: dict[str, str] | None = None,
        **typed: Any,
    ) -> Response:
        try:
            found = find_rule_set(self.web.store, key)
        except NotFound:
            return self.web.not_found(request, f"No permission rule set {key!r}")
        rules = sorted(found.rules, key=lambda r: (r.entity_type, r.field, r.operation))
        return self.web.render(
            request,
            "rule_set.html",
            status,
            rule_set=found,
            rules=[(target_of(r), r) for r in rules],
            operations=(*OPERATIONS, *CAPABILITIES),
            errors=errors or {},
            typed=typed,
        )

    async def show(self, request: Request) -> Response:
        return await run_in_threadpool(self._page, request, str(request.path_params["id"]))

    async def change(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user
        key = str(request.path_params["id"])

        def act() -> Response:
            target = values.get("target", "").strip()
            decision = values.get("decision", "")
            if decision not in _DECISIONS:
                errors = {"decision": f"Choose allow, refuse or default, got {decision!r}."}
                return self._page(request, key, 400, errors, **values)
            entity_type, _, field = ("" if target in ("", "site") else target).partition(".")
            view = self.web.view(user)
            try:
                found = find_rule_set(self.web.store, key)
                change = rule_change_from(
                    found.code,
                    {
                        "entity_type": entity_type,
                        "field": field,
                        "operation": values.get("operation", "").strip(),
                        "allowed": _DECISIONS[decision],
                    },
                )
                change_rule(view, view.authority(), change)
            except NotFound:
                return self.web.not_found(request, f"No permission rule set {key!r}")
            except ShotlogError as exc:
                where = exc.details.get("field")
                name = "target" if where in ("entity_type", "field") else where or "form"
                return self._page(request, key, 400, {str(name): exc.message}, **values)
            said = f"{found.code}: {change.operation} on {target or 'site'} is now {decision}."
            return self.web.redirect(f"/admin/permissions/{found.id}", said)

        return await run_in_threadpool(act)
