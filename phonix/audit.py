"""The audit log of staff money actions (see `AuditLog`).

Every such action calls `audit_record` inside its own transaction: the row commits with the
action or not at all. Values are stored as JSON, amounts as strings so that no digit is lost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from phonix.models import AuditLog


def audit_values(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copies of field values: Decimals and dates as strings, model rows as their id."""
    return {name: _json_safe(value) for name, value in values.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return audit_values(value)
    if hasattr(value, "pk"):
        return value.pk
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def audit_record(
    *, actor_id: int | None, action: str, member_id: int | None = None, target: str = "",
    before: dict | None = None, after: dict | None = None, reason: str = "",
) -> AuditLog:
    """Write one audit row; must run inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the action could commit without its row (or the row without it).
        raise RuntimeError("audit_record must run inside the action's transaction")
    return AuditLog.objects.create(
        actor_id=actor_id, member_id=member_id, action=action, target=target[:100],
        before=audit_values(before or {}), after=audit_values(after or {}), reason=(reason or "")[:500],
    )
