"""The dashboard keeps what phonix.notifications asks for, and shows the e-mail choices on the
profile page; DashboardConfig.ready connects these."""

from collections.abc import Mapping

from accounts import signals as accounts_signals
from accounts.models import User
from phonix import notifications

from .selectors import email_choices, email_declined_by
from .services import notify, notify_set


def _member_notified(sender: object, *, user_id: int, kind: str, params: Mapping[str, object] | None,
                     key: str | None, **kwargs: object) -> None:
    notify(user_id=user_id, kind=kind, params=dict(params or {}), key=key)


def _members_notified(sender: object, *, kind: str, source_sql: str, params: Mapping[str, object] | None,
                      **kwargs: object) -> None:
    notify_set(kind=kind, source_sql=source_sql, params=dict(params or {}))


def _email_declined(sender: object, *, user_ids: list[int], topic: str, **kwargs: object) -> set[int]:
    return email_declined_by(user_ids=user_ids, topic=topic)


def _profile_email_choices(sender: object, *, user: User, **kwargs: object) -> dict[str, object]:
    return {"email_choices": email_choices(user=user)}


def connect() -> None:
    notifications.member_notified.connect(_member_notified, dispatch_uid="dashboard-notify")
    notifications.members_notified.connect(_members_notified, dispatch_uid="dashboard-notify-set")
    notifications.email_declined.connect(_email_declined, dispatch_uid="dashboard-email-declined")
    accounts_signals.profile_shown.connect(_profile_email_choices, dispatch_uid="dashboard-profile-email-choices")
