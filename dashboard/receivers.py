"""The dashboard keeps what phonix.notifications asks for, and shows the e-mail choices on the
profile page; DashboardConfig.ready connects these."""

from accounts import signals as accounts_signals
from phonix import notifications

from .selectors import email_choices, email_declined_by
from .services import notify, notify_set


def _member_notified(sender, *, user_id: int, kind: str, params: dict | None, key: str | None, **kwargs) -> None:
    notify(user_id=user_id, kind=kind, params=params, key=key)


def _members_notified(sender, *, kind: str, source_sql: str, params: dict | None, **kwargs) -> None:
    notify_set(kind=kind, source_sql=source_sql, params=params)


def _email_declined(sender, *, user_ids: list[int], topic: str, **kwargs) -> set[int]:
    return email_declined_by(user_ids=user_ids, topic=topic)


def _profile_email_choices(sender, *, user, **kwargs) -> dict:
    return {"email_choices": email_choices(user=user)}


def connect() -> None:
    notifications.member_notified.connect(_member_notified, dispatch_uid="dashboard-notify")
    notifications.members_notified.connect(_members_notified, dispatch_uid="dashboard-notify-set")
    notifications.email_declined.connect(_email_declined, dispatch_uid="dashboard-email-declined")
    accounts_signals.profile_shown.connect(_profile_email_choices, dispatch_uid="dashboard-profile-email-choices")
