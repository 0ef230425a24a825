"""accounts' e-mails, queued once the change that calls for them has committed.

AccountsConfig.ready connects these to accounts/signals.py, so that services send an event and
never import the tasks that run the e-mail. robust: the change is committed; a broker outage must
not turn it into an error page.
"""

from django.db import transaction

from . import signals
from .tasks import (
    email_changed_notice_task,
    email_link_send_task,
    two_factor_reset_email_send_task,
    welcome_email_send_task,
    withdrawal_address_changed_email_task,
)


def _email_link_send(sender, *, user_id: int, address: str, site_url: str, **kwargs) -> None:
    transaction.on_commit(lambda: email_link_send_task.delay(user_id, address, site_url), robust=True)


def _email_changed_notice(sender, *, user_id: int, old_address: str, **kwargs) -> None:
    transaction.on_commit(lambda: email_changed_notice_task.delay(user_id, old_address), robust=True)


def _welcome_email(sender, *, user, **kwargs) -> None:
    user_id = user.pk
    transaction.on_commit(lambda: welcome_email_send_task.delay(user_id), robust=True)


def _withdrawal_address_changed_email(sender, *, user_id: int, by_staff: bool, **kwargs) -> None:
    transaction.on_commit(lambda: withdrawal_address_changed_email_task.delay(user_id, by_staff), robust=True)


def _two_factor_reset_email(sender, *, user_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: two_factor_reset_email_send_task.delay(user_id), robust=True)


def connect() -> None:
    signals.email_link_requested.connect(_email_link_send, dispatch_uid="accounts-email-link")
    signals.email_changed.connect(_email_changed_notice, dispatch_uid="accounts-email-changed")
    signals.email_confirmed.connect(_welcome_email, dispatch_uid="accounts-welcome-email")
    signals.withdrawal_address_changed.connect(_withdrawal_address_changed_email,
                                               dispatch_uid="accounts-address-changed-email")
    signals.two_factor_reset_done.connect(_two_factor_reset_email, dispatch_uid="accounts-two-factor-reset-email")
