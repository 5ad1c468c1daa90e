"""``batch``: the requests of one batch, run in one transaction, and the error naming the one that failed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlog.errors import ShotlogError, ValidationError
from shotlog.store.writer import WriteTransaction

__all__ = ["BatchError", "run_request"]


class BatchError(ShotlogError):
    """One request of a batch failed; the whole batch was rolled back."""

    def __init__(self, index: int, cause: ShotlogError) -> None:
        super().__init__(
            f"batch request with index {index} failed. All requests rolled back.\n{cause.message}",
            index=index,
        )
        self.index = index
        self.cause = cause
        self.error_code = cause.error_code


def run_request(tx: WriteTransaction, req: Mapping[str, Any]) -> Any:
    """Run one request of a batch inside the batch's transaction."""
    if not isinstance(req, Mapping):
        raise ValidationError(f"A batch request must be a dict, got {req!r}", value=req)
    kind = req.get("request_type")
    entity_type = req.get("entity_type", req.get("type"))
    if not isinstance(entity_type, str):
        raise ValidationError(f"A batch request needs entity_type, got {req!r}", value=dict(req))
    if kind == "create":
        return tx.create(entity_type, req.get("data", {}), req.get("return_fields"))
    entity_id = req.get("entity_id", req.get("id"))
    if kind == "update":
        modes = req.get("multi_entity_update_modes")
        return tx.update(entity_type, entity_id, req.get("data", {}), modes)
    if kind == "delete":
        return tx.delete(entity_type, entity_id)
    if kind == "revive":
        return tx.revive(entity_type, entity_id)
    raise ValidationError(
        f"Unknown batch request_type {kind!r}; use create, update, delete or revive", value=kind
    )
