"""What every api3 method receives, and the checks of the argument shapes they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shotlog.accounts.credentials import Credentials, Principal
from shotlog.connection import Shotlog
from shotlog.server.api3.wire import ProtocolError

__all__ = ["Context", "Handler", "arguments", "entity_id_of", "entity_type_of"]


class Context:
    """A call's view of the store (acting as the caller, sudo and session_uuid applied), the caller
    and the credentials (``get_session_token`` issues a token)."""

    def __init__(self, view: Shotlog, principal: Principal, credentials: Credentials) -> None:
        self.sg = view
        self.principal = principal
        self.credentials = credentials


#: one api3 method: the call's context and its raw arguments → the result
Handler = Callable[[Context, Any], Any]


def arguments(args: Any, method: str) -> Mapping[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise ProtocolError(f"API {method}() expects an object of arguments, got {type(args).__name__}")
    return args


def entity_type_of(args: Mapping[str, Any], method: str) -> str:
    t = args.get("type")
    if not isinstance(t, str):
        raise ProtocolError(f"API {method}() needs 'type' (an entity type name), got {t!r}")
    return t


def entity_id_of(args: Mapping[str, Any], method: str) -> int:
    i = args.get("id")
    if isinstance(i, bool) or not isinstance(i, int):
        raise ProtocolError(f"API {method}() needs 'id' (an integer), got {i!r}")
    return i
