"""The audit log of staff money actions (see `AuditLog`).

Every such action calls `audit_record` inside its own transaction: the row commits with the
action or not at all. Values are stored as JSON, amounts as strings so that no digit is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models, transaction

from phonix.models import AuditLog

if TYPE_CHECKING:
    from accounts.models import User

Version = TypeVar("Version", bound=models.Model)


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
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, reason: str = "",
) -> AuditLog:
    """Write one audit row; must run inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the action could commit without its row (or the row without it).
        raise RuntimeError("audit_record must run inside the action's transaction")
    return AuditLog.objects.create(
        actor_id=actor_id, member_id=member_id, action=action, target=target[:100],
        before=audit_values(before or {}), after=audit_values(after or {}), reason=(reason or "")[:500],
    )


def version_create_audited(
    *, model: type[Version], current: Callable[[], Version], fields: tuple[str, ...], values: dict[str, Any],
    note: str, actor: User, action: str, target_name: str, lock_key: int,
) -> Version:
    """Write a new version of a versioned settings model: `current` with `values` changed.

    Versions are never edited. Changes are serialised by an advisory lock and each starts from the
    version in force once the lock is held, so two staff edits at once never drop each other's
    change. The audit row holds both versions' values. Must run inside the caller's transaction.
    """
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"not {model._meta.verbose_name} fields: {sorted(unknown)}")
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])
    in_force = current()
    before = {name: getattr(in_force, name) for name in fields}
    after = {**before, **values}
    note_field = model._meta.get_field("note")
    assert isinstance(note_field, models.CharField)
    note = (note or "").strip()[:note_field.max_length]
    version = model(**after, note=note, created_by=actor)
    version.full_clean(exclude=["created_by"])
    version.save()
    audit_record(
        actor_id=actor.pk, action=action, target=f"{target_name}:{version.pk}",
        before={"version": in_force.pk, **before}, after={"version": version.pk, **after}, reason=note,
    )
    return version
