"""The wallet's part in what other code runs: the registration bonus when accounts confirms an
e-mail, its facts in /healthz, its check when a Celery worker starts; and the tasks that follow
up custody's own events (wallet/custody/signals.py) once they commit. WalletConfig.ready connects these."""

from celery.signals import worker_ready
from django.db import transaction

from accounts import signals as accounts_signals
from accounts.models import User
from accounts.services import registration_bonus_amount
from phonix import health

from .custody import signals
from .custody.chain import api_key_warning, api_key_warning_log
from .custody.deposits import scan_lag
from .ledger.bonuses import registration_bonus_post
from .tasks import deposits_credited_notify_task, withdrawal_notify_task, withdrawals_process_task


def _registration_bonus(sender: object, *, user: User, **kwargs: object) -> None:
    # In the transaction that confirms the e-mail: no confirmation without its bonus.
    registration_bonus_post(user_id=user.pk, amount=registration_bonus_amount())


def _deposits_credited_email(sender: object, *, deposit_ids: list[int], **kwargs: object) -> None:
    transaction.on_commit(lambda: deposits_credited_notify_task.delay(deposit_ids))


def _withdrawal_email(sender: object, *, withdrawal_id: int, status: str, **kwargs: object) -> None:
    # robust: the change is committed; a broker outage must not turn that into an error page.
    transaction.on_commit(lambda: withdrawal_notify_task.delay(withdrawal_id, status), robust=True)


def _withdrawal_send(sender: object, *, withdrawal_id: int, **kwargs: object) -> None:
    # robust: the approval is committed; the watchdog sends it if the broker is away now.
    transaction.on_commit(withdrawals_process_task.delay, robust=True)


def _waiting_withdrawals_send(sender: object, **kwargs: object) -> None:
    transaction.on_commit(withdrawals_process_task.delay)


def _last_scan() -> dict[str, object]:
    lag = scan_lag()
    return {**lag, "updated_at": lag["updated_at"].isoformat() if lag["updated_at"] else None}


def _tron_api_key() -> str:
    return api_key_warning() or "ok"


def _worker_ready(**kwargs: object) -> None:
    api_key_warning_log()


def connect() -> None:
    accounts_signals.email_confirmed.connect(_registration_bonus, dispatch_uid="wallet-registration-bonus")
    signals.deposits_credited.connect(_deposits_credited_email, dispatch_uid="wallet-deposits-credited-email")
    signals.withdrawal_status_changed.connect(_withdrawal_email, dispatch_uid="wallet-withdrawal-email")
    signals.withdrawal_approved.connect(_withdrawal_send, dispatch_uid="wallet-withdrawal-send")
    signals.withdrawals_waiting.connect(_waiting_withdrawals_send, dispatch_uid="wallet-waiting-withdrawals-send")
    health.fact_add("last_scan", _last_scan)
    health.fact_add("tron_api_key", _tron_api_key)
    worker_ready.connect(_worker_ready, weak=False, dispatch_uid="wallet-api-key-warning")
