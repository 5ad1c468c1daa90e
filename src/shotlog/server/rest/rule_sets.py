"""REST routes of permission rule sets (``shotlog.accounts.rule_edits``).

``/api/v1/permission_rule_sets``: GET lists every set with its rules;
``/api/v1/permission_rule_sets/{set}`` (its id or name): GET reads one;
``/api/v1/permission_rule_sets/{set}/rules``: PATCH ``{"entity_type", "field", "operation", "allowed"}``
sets one rule (``allowed`` null removes it) and answers the set as it is now.

Reading needs a set that may read PermissionRuleSet entities (every default set may); changing
needs the permission to administer users, as the CLI and the web UI's page ask. A refused or wrong
request changes nothing and names what is wrong.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from shotlog.access.rules import RuleSet
from shotlog.accounts.rule_edits import change_rule, find_rule_set, rule_change_from, rule_sets
from shotlog.connection import Shotlog
from shotlog.errors import PermissionDenied, ValidationError
from shotlog.server.rest.endpoint import reject_constant
from shotlog.store.permission_rules import RULE_SET_TYPE

__all__ = ["RuleSetRoutes", "rule_set_json"]


def rule_set_json(s: RuleSet) -> dict[str, Any]:
    return {
        "type": RULE_SET_TYPE,
        "id": s.id,
        "code": s.code,
        "kind": s.kind,
        "rules": [
            {"entity_type": r.entity_type, "field": r.field, "operation": r.operation, "allowed": r.allowed}
            for r in sorted(s.rules, key=lambda r: (r.entity_type, r.field, r.operation))
        ],
    }


def _may_read(view: Shotlog) -> None:
    who = view.authority()
    if not who.shotlog_itself and not who.ruleset().may("read", RULE_SET_TYPE):
        raise PermissionDenied(
            f"Reading permission rule sets needs a set that may read {RULE_SET_TYPE}; {who.label()} may not",
            entity_type=RULE_SET_TYPE,
        )


class RuleSetRoutes:
    def list_sets(self, request: Request, view: Shotlog) -> Any:
        _may_read(view)
        return {"data": [rule_set_json(s) for s in rule_sets(view)]}

    def read_set(self, request: Request, view: Shotlog) -> Any:
        _may_read(view)
        return {"data": rule_set_json(find_rule_set(view, request.path_params["rule_set"]))}

    def change(self, request: Request, view: Shotlog) -> Any:
        raw: bytes = request.state.body
        try:
            body = json.loads(raw, parse_constant=reject_constant) if raw.strip() else None
        except (ValueError, RecursionError):
            raise ValidationError("body: the request body is not valid JSON", parameter="body") from None
        if not isinstance(body, dict):
            raise ValidationError(
                "body: a JSON object of entity_type, field, operation and allowed", parameter="body"
            )
        who = view.authority()
        found = find_rule_set(view, request.path_params["rule_set"])
        now = change_rule(view, who, rule_change_from(found.code, body))
        return {"data": rule_set_json(now)}
