"""Writing to the audit log. Call `record` in the same transaction as the change it describes."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from ..database import insert_row
from ..extensions import db
from .models import AuditEntry


def _plain(value: Any) -> Any:
    """JSON-safe form of a value for the before/after columns."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def record(
    action: str,
    subject: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    municipality_id: int | None = None,
    actor: Any = None,
) -> None:
    """Write an audit entry for `subject` (a model instance) in the current transaction (database.insert_row),
    so it stands or falls with the change. The actor defaults to the signed-in person."""
    if actor is None and current_user and getattr(current_user, "is_authenticated", False):
        actor = current_user
    if getattr(subject, "id", 0) is None and subject in db.session:
        db.session.flush()  # a new row: the entry needs its id
    insert_row(
        AuditEntry.__table__,
        {
            "action": action,
            "subject_type": getattr(subject, "__tablename__", type(subject).__name__.lower()),
            "subject_id": getattr(subject, "id", None),
            "municipality_id": municipality_id
            if municipality_id is not None
            else getattr(subject, "municipality_id", None),
            "before": _plain(before or {}),
            "after": _plain(after or {}),
            "reason": reason,
            "actor_id": getattr(actor, "id", None),
        },
    )


def changes(obj: Any, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply `values` to `obj` and return (before, after) for the fields that really changed."""
    before, after = {}, {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            before[field], after[field] = old, new
            setattr(obj, field, new)
    return before, after
