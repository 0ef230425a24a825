"""The tasks that follow up mining's events (mining/signals.py) once they commit, and mining's fact
in /healthz. MiningConfig.ready connects these."""

from django.db import transaction

from phonix import health

from . import signals
from .selectors import mining_completion_last
from .tasks import mining_reminders_send_task

REMINDER_CHUNK = 500


def _reminders_send(sender: object, *, session_ids: list[int], **kwargs: object) -> None:
    for start in range(0, len(session_ids), REMINDER_CHUNK):
        chunk = session_ids[start : start + REMINDER_CHUNK]

        def send(chunk: list[int] = chunk) -> None:
            mining_reminders_send_task.delay(chunk)

        # robust: a broker hiccup must not undo completed sessions; the reminder is a courtesy.
        transaction.on_commit(send, robust=True)


def connect() -> None:
    signals.reminders_due.connect(_reminders_send, dispatch_uid="mining-reminders")
    health.fact_add("last_mining_completion", mining_completion_last)
