from django.db import models


class StuckItem(models.Model):
    """An item a periodic job could not process; the job skips it and retries it on its next run.

    One row per (job, item). A job records the failure in its own transaction after rolling back
    the item's work, and clears the row once the item goes through. `/healthz` counts the rows.
    """

    job = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    reason = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "item_id"], name="stuck_item_unique")]
        ordering = ["job", "first_seen_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.item_id}: {self.reason}"
