"""User subscriptions (``user_subscriptions_read`` / ``_create``): the licence each HumanUser is
assigned, kept as the caller gave it (``None``, one string or a list of strings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shotlog.clock import utcnow_seconds
from shotlog.errors import NotFound, ValidationError
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["assign", "check_assignments", "read"]


def check_assignments(users: Any) -> dict[int, Any]:
    """``[{"humanUserId": 5, "subscription": ...}]`` → {user id: subscription}, checked."""
    if not isinstance(users, list) or not users:
        raise ValidationError(
            f"user_subscriptions_create: users must be a non-empty list of "
            f"{{humanUserId, subscription}}, got {users!r}",
            field="users",
            value=users,
        )
    out: dict[int, Any] = {}
    for item in users:
        uid = item.get("humanUserId") if isinstance(item, Mapping) else None
        if isinstance(uid, bool) or not isinstance(uid, int):
            raise ValidationError(
                f"user_subscriptions_create: each entry needs humanUserId (an integer), got {item!r}",
                field="humanUserId",
                value=item,
            )
        assert isinstance(item, Mapping)
        sub = item.get("subscription")
        if not (
            sub is None
            or isinstance(sub, str)
            or (isinstance(sub, list) and all(isinstance(s, str) for s in sub))
        ):
            raise ValidationError(
                f"user_subscriptions_create: subscription of user {uid} must be null, a string or a list "
                f"of strings, got {sub!r}",
                field="subscription",
                value=sub,
            )
        out[uid] = sub
    return out


def read(sg: Shotlog) -> list[dict[str, Any]]:
    with sg.db.read() as conn:
        stored = sitestate.read_subscriptions(conn)
    return [{"humanUserId": uid, "subscription": sub} for uid, sub in stored.items()]


def assign(sg: Shotlog, users: Any) -> dict[str, Any]:
    assigned = check_assignments(users)
    found = {r["id"] for r in sg.find("HumanUser", [["id", "in", sorted(assigned)]], ["id"])}
    for uid in assigned:
        if uid not in found:
            raise NotFound("HumanUser", uid)
    with sg.db.write() as conn:
        sitestate.write_subscriptions(conn, assigned, utcnow_seconds())
    return {"status": "success"}
