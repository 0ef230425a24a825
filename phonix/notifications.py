"""How any app tells a member something, without importing the app that keeps it.

The dashboard keeps members' notifications and e-mail choices; it connects its receivers to these
signals in its AppConfig.ready. Every app below it asks here, so the dependency points down.
"""

from collections.abc import Mapping
from typing import cast

from django.dispatch import Signal

# user_id, kind, params, key: one notification, written once the current transaction commits.
member_notified = Signal()
# kind, source_sql, params: set-based, `source_sql` yields (user_id, key, params jsonb) rows.
members_notified = Signal()
# user_ids, topic: each receiver answers with the members among user_ids who declined that e-mail.
email_declined = Signal()


def notify(*, user_id: int, kind: str, params: Mapping[str, object] | None = None, key: str | None = None) -> None:
    """Notify one member once the current transaction commits (at once outside one)."""
    member_notified.send(sender=None, user_id=user_id, kind=kind, params=params, key=key)


def notify_set(*, kind: str, source_sql: str, params: Mapping[str, object] | None = None) -> None:
    """Notify every member `source_sql` yields once the current transaction commits."""
    members_notified.send(sender=None, kind=kind, source_sql=source_sql, params=params)


def email_wanted(*, user_ids: list[int], topic: str) -> set[int]:
    """The members among `user_ids` who get the optional e-mail `topic` (nobody declined: all)."""
    declined: set[int] = set()
    for _receiver, answer in email_declined.send(sender=None, user_ids=user_ids, topic=topic):
        declined |= cast(set[int], answer)
    return set(user_ids) - declined
