"""Stuck items: one failing row must never stop a periodic job for everybody else.

A job processes each item in its own transaction; when one fails it calls `stuck_item_record`
(logged with the id and reason, counted in /healthz as `stuck_items`), goes on with the rest,
and tries the item again on its next run, calling `stuck_item_clear` once it succeeds.
"""

from __future__ import annotations

import logging

from django.db.models import F
from django.db.models.functions import Now

from phonix.models import StuckItem

logger = logging.getLogger(__name__)

REASON_MAX_CHARS = 500


def stuck_item_record(*, job: str, item_id: object, error: BaseException | str) -> None:
    reason = (error if isinstance(error, str) else f"{type(error).__name__}: {error}")[:REASON_MAX_CHARS]
    logger.error("%s: item %s is stuck: %s", job, item_id, reason)
    updated = StuckItem.objects.filter(job=job, item_id=str(item_id)).update(
        reason=reason, attempts=F("attempts") + 1, last_seen_at=Now()
    )
    if not updated:
        StuckItem.objects.get_or_create(job=job, item_id=str(item_id), defaults={"reason": reason})


def stuck_item_clear(*, job: str, item_id: object) -> None:
    StuckItem.objects.filter(job=job, item_id=str(item_id)).delete()


def stuck_items_count() -> dict[str, int]:
    """Stuck items by job, for /healthz."""
    from django.db.models import Count

    rows = StuckItem.objects.values("job").annotate(count=Count("id")).order_by("job")
    return {row["job"]: row["count"] for row in rows}
