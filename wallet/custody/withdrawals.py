"""Withdrawals: request, staff approval, the signer worker, following to a solidified receipt.

Life of a withdrawal: pending → approved (enough staff approvals) → processing (claimed by one
worker) → signed (the signed transaction and txid are stored before anything is sent) →
broadcast → completed, or failed (on-chain failure, amount returned), or rejected by staff
(amount returned). A stored transaction is re-sent byte for byte until it is mined or provably
dead (see wallet/custody/transfers.py: expired by the solidified chain's clock, not found over minutes,
and absent from every block that could hold it); only then is the withdrawal put back to
approved and signed again. Doubt means waiting, never signing twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import credentials_hold, two_factor_enabled, withdrawal_cooldown_until
from accounts.services import two_factor_verify
from accounts.validators import tron_address_is_valid
from phonix.audit import audit_record
from phonix.exceptions import IdempotencyConflict, NotPermitted, WithdrawalRefused
from phonix.models import AuditLog
from phonix.money import AmountInput, parse_amount

from ..ledger.accounts import member_account, platform_account
from ..ledger.postings import HistoryLine, ledger_post
from ..models import (
    AccountCode,
    ChainTransfer,
    CustodyPolicy,
    LedgerTransaction,
    Transaction,
    Withdrawal,
    WithdrawalApproval,
)
from . import signals
from .chain import ChainClient, ChainUnavailable, JsonObject, chain_client
from .deposits import amount_to_units
from .forks import withdrawals_frozen
from .keys import hot_wallet_key
from .platform_addresses import platform_address_refusal
from .policy import custody_policy_current, withdrawal_fee
from .transfers import LIVE, transfer_broadcast, transfer_check

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=2)
FOLLOW_UP_JOB = "withdrawal_follow_up"


# Request ------------------------------------------------------------------------------------


def withdrawal_key_for(*, user_id: int, token: str) -> str:
    """The idempotency key of a withdrawal form: the member and the token rendered into it."""
    try:
        token = str(uuid.UUID(str(token)))
    except ValueError:
        raise WithdrawalRefused(_("The form has expired; please start the withdrawal again.")) from None
    return f"{user_id}:{token}"


def withdrawal_request(*, user: User, amount: AmountInput, password: str, token: str,
                       otp_token: str = "") -> Withdrawal:
    """Move `amount` from main to withdrawal_hold and open a withdrawal to the saved address,
    exactly once per form token.

    A retry or a second submission of the same form returns the first withdrawal: the member's
    row is locked while the key is looked up and claimed, so concurrent duplicates queue behind
    the first and then find it (the unique `request_key` is the guarantee beneath).
    """
    amount = parse_amount(amount)
    key = withdrawal_key_for(user_id=user.pk, token=token)
    if not user.check_password(password or ""):
        raise WithdrawalRefused(_("The password is not correct."))
    first = Withdrawal.objects.filter(request_key=key).first()
    if first is not None:  # before the 2FA check: a code is accepted once, and a retry re-sends it
        return _withdrawal_already_requested(first, amount)
    if two_factor_enabled(user=user) and two_factor_verify(user=user, token=otp_token) is None:
        raise WithdrawalRefused(_("The authentication code is not correct."))
    address = (user.trc20_wallet_address or "").strip()
    if not tron_address_is_valid(address):
        raise WithdrawalRefused(_("Save a valid TRON (TRC20) withdrawal address in your profile first."))
    refusal = platform_address_refusal(address=address)
    if refusal:
        raise WithdrawalRefused(refusal)
    cooldown_until = withdrawal_cooldown_until(user=user)
    if cooldown_until is not None:
        raise WithdrawalRefused(
            _("Your withdrawal address changed recently; withdrawals open again at %(time)s UTC.")
            % {"time": cooldown_until.strftime("%Y-%m-%d %H:%M")}
        )
    if withdrawals_frozen(user_id=user.pk):
        raise WithdrawalRefused(_("Withdrawals are paused on your account: a deposit credited to you was removed "
                                  "from the blockchain by the network. Our staff will contact you."))
    hold = credentials_hold(user=user)
    if hold is not None:
        raise WithdrawalRefused(hold.message)
    policy = custody_policy_current()
    _limits_check(amount=amount, policy=policy)
    fee = withdrawal_fee(amount=amount, policy=policy)
    required = 2 if amount > policy.two_approvals_above else 1
    with transaction.atomic():
        # Members before ledger accounts, the lock order of every payout. The lock also makes the
        # daily total below exact when one member sends several requests at once.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        first = Withdrawal.objects.filter(request_key=key).first()
        if first is not None:
            return _withdrawal_already_requested(first, amount)
        _daily_limit_check(user_id=user.pk, amount=amount, policy=policy)
        withdrawal = Withdrawal.objects.create(
            user=user, amount=amount, fee=fee, net_amount=amount - fee, address=address,
            approvals_required=required, request_key=key, policy=policy,
        )
        main = member_account(user_id=user.pk, code=AccountCode.MAIN)
        hold_account = member_account(user_id=user.pk, code=AccountCode.WITHDRAWAL_HOLD)
        posted = ledger_post(  # InsufficientFunds rolls the whole request back
            key=f"withdrawal:{withdrawal.pk}:hold", kind=LedgerTransaction.Kind.WITHDRAWAL,
            entries=[(main.id, -amount), (hold_account.id, amount)], memo=f"withdrawal {withdrawal.pk} requested",
            history=[HistoryLine(
                user_id=user.pk, type=Transaction.Type.WITHDRAWAL, amount=amount, fee=fee,
                status=Transaction.Status.PENDING, wallet_address=address,
                description=_("Withdrawal to %(address)s") % {"address": address},
            )],
        )
        withdrawal.history = Transaction.objects.get(ledger_transaction=posted, user=user)
        withdrawal.save(update_fields=["history"])
        _notify(withdrawal)
    return withdrawal


def usdt_text(amount: Decimal) -> str:
    """An amount for a message: at least 2 places, and every place that matters (a limit of
    10.005 must not read as 10.00)."""
    whole, _dot, places = f"{amount:.6f}".partition(".")
    return f"{whole}.{places.rstrip('0').ljust(2, '0')}"


def _limits_check(*, amount: Decimal, policy: CustodyPolicy) -> None:
    if amount < policy.withdrawal_minimum:
        raise WithdrawalRefused(
            _("The minimum withdrawal is %(minimum)s USDT.") % {"minimum": usdt_text(policy.withdrawal_minimum)}
        )
    if policy.withdrawal_maximum is not None and amount > policy.withdrawal_maximum:
        raise WithdrawalRefused(
            _("The maximum for one withdrawal is %(maximum)s USDT.") % {"maximum": usdt_text(policy.withdrawal_maximum)}
        )


def _daily_limit_check(*, user_id: int, amount: Decimal, policy: CustodyPolicy) -> None:
    """At most `daily_maximum` requested per member per UTC day; returned withdrawals do not count."""
    if policy.daily_maximum is None:
        return
    day_start = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        Withdrawal.objects.filter(user_id=user_id, created_at__gte=day_start)
        .exclude(status__in=(Withdrawal.Status.REJECTED, Withdrawal.Status.FAILED))
        .aggregate(total=Sum("amount"))["total"] or Decimal(0)
    )
    if today + amount > policy.daily_maximum:
        left = max(policy.daily_maximum - today, Decimal(0))
        raise WithdrawalRefused(
            _("You can withdraw at most %(maximum)s USDT per day (UTC); %(left)s USDT is left for today.")
            % {"maximum": usdt_text(policy.daily_maximum), "left": usdt_text(left)}
        )


def _withdrawal_already_requested(first: Withdrawal, amount: Decimal) -> Withdrawal:
    if first.amount != amount:
        raise IdempotencyConflict(_("This form was already used for a withdrawal of another amount."))
    return first


# Staff decisions ----------------------------------------------------------------------------

APPROVE_PERMISSION = "wallet.approve_withdrawal"


def _decider_check(staff: User) -> None:
    """Approving and rejecting take the dedicated permission, not merely a staff account."""
    if not (staff.is_active and staff.is_staff and staff.has_perm(APPROVE_PERMISSION)):
        raise NotPermitted(_("Approving or rejecting withdrawals needs the permission \"Can approve withdrawals\"."))


def withdrawal_approve(*, withdrawal_id: int, staff: User) -> Withdrawal:
    """Record one staff approval; the withdrawal is approved once enough different staff agree."""
    _decider_check(staff)
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
        if withdrawal.status != Withdrawal.Status.PENDING:
            return withdrawal  # already decided; approving again changes nothing
        if withdrawal.user_id == staff.pk:
            raise WithdrawalRefused(_("Nobody approves their own withdrawal."))
        _approval, created = WithdrawalApproval.objects.get_or_create(withdrawal=withdrawal, staff=staff)
        if not created:
            return withdrawal  # this staff member's approval is already counted
        given = withdrawal.approvals.count()
        before = {"status": str(withdrawal.status), "approvals": given - 1}
        if given >= withdrawal.approvals_required:
            withdrawal.status = Withdrawal.Status.APPROVED
            withdrawal.save(update_fields=["status", "updated_at"])
            _notify(withdrawal)
            signals.withdrawal_approved.send(sender=Withdrawal, withdrawal_id=withdrawal.pk)
        audit_record(
            actor_id=staff.pk, action=AuditLog.Action.WITHDRAWAL_APPROVE, member_id=withdrawal.user_id,
            target=f"withdrawal:{withdrawal.pk}", before=before,
            after={"status": str(withdrawal.status), "approvals": given,
                   "approvals_required": withdrawal.approvals_required, "amount": withdrawal.amount},
        )
    return withdrawal


def withdrawal_reject(*, withdrawal_id: int, staff: User, reason: str) -> Withdrawal:
    """Return the held amount; the member sees `reason` on the withdrawal and in the e-mail."""
    _decider_check(staff)
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawalRefused(_("Give the member a reason for the rejection."))
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
        if withdrawal.status == Withdrawal.Status.REJECTED:
            return withdrawal
        if withdrawal.status not in (Withdrawal.Status.PENDING, Withdrawal.Status.APPROVED):
            raise WithdrawalRefused(_("This withdrawal is already being sent and can no longer be rejected."))
        before = {"status": str(withdrawal.status)}
        _refund(withdrawal, Withdrawal.Status.REJECTED, reason)
        withdrawal.rejected_by = staff
        withdrawal.save(update_fields=["rejected_by"])
        audit_record(
            actor_id=staff.pk, action=AuditLog.Action.WITHDRAWAL_REJECT, member_id=withdrawal.user_id,
            target=f"withdrawal:{withdrawal.pk}", reason=reason, before=before,
            after={"status": str(withdrawal.status), "returned": withdrawal.amount},
        )
    return withdrawal


def _refund(withdrawal: Withdrawal, status: str, reason: str) -> None:
    """Return the held amount in full (inside the caller's transaction, row locked)."""
    hold = member_account(user_id=withdrawal.user_id, code=AccountCode.WITHDRAWAL_HOLD)
    main = member_account(user_id=withdrawal.user_id, code=AccountCode.MAIN)
    ledger_post(
        key=f"withdrawal:{withdrawal.pk}:refund", kind=LedgerTransaction.Kind.WITHDRAWAL,
        entries=[(hold.id, -withdrawal.amount), (main.id, withdrawal.amount)],
        memo=f"withdrawal {withdrawal.pk} {status}: {reason}"[:500],
    )
    withdrawal.status = status
    withdrawal.failure_reason = reason[:300]
    withdrawal.save(update_fields=["status", "failure_reason", "updated_at"])
    history_status = Transaction.Status.CANCELLED if status == Withdrawal.Status.REJECTED else Transaction.Status.FAILED
    _history_update(withdrawal, status=history_status, description=reason[:500], updated_at=timezone.now())
    _notify(withdrawal)


def _history_update(withdrawal: Withdrawal, **changes: object) -> None:
    """The member's history line follows the withdrawal (it has one from the moment it is requested)."""
    if withdrawal.history_id is not None:
        Transaction.objects.filter(pk=withdrawal.history_id).update(**changes)


# The signer worker --------------------------------------------------------------------------


@dataclass
class ProcessResult:
    sent: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resigned: list[int] = field(default_factory=list)


def withdrawals_process(*, client: ChainClient | None = None, limit: int | None = None) -> ProcessResult:
    """Follow what is in flight, then claim approved withdrawals one at a time and send them."""
    client = client or chain_client()
    result = ProcessResult()
    withdrawals_follow(client=client, result=result)
    while limit is None or len(result.sent) < limit:
        claimed = _claim_next()
        if claimed is None:
            break
        withdrawal_id, claimed_at = claimed
        withdrawal_sign_and_send(withdrawal_id=withdrawal_id, claimed_at=claimed_at, client=client)
        result.sent.append(withdrawal_id)
    return result


def _claim_next() -> tuple[int, datetime] | None:
    """Claim the oldest approved withdrawal; concurrent workers skip each other's rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE wallet_withdrawal SET status = 'processing', claimed_at = clock_timestamp(), updated_at = now()
            WHERE id = (SELECT id FROM wallet_withdrawal w WHERE status = 'approved'
                          -- frozen: a deposit removed by a fork is not reversed yet (wallet/custody/forks.py)
                          AND NOT EXISTS (SELECT 1 FROM wallet_deposit d WHERE d.user_id = w.user_id
                                          AND d.status = 'reversal_pending')
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
              AND status = 'approved'
            RETURNING id, claimed_at
            """
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def withdrawal_sign_and_send(*, withdrawal_id: int, claimed_at: datetime, client: ChainClient) -> ChainTransfer | None:
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    key = hot_wallet_key()
    try:
        txn = client.build_usdt_transfer(
            owner=settings.TRON_HOT_WALLET_ADDRESS, to=withdrawal.address,
            amount_units=amount_to_units(withdrawal.net_amount), fee_limit=settings.TRON_FEE_LIMIT_SUN,
            expiration_seconds=settings.TRON_TX_EXPIRATION_SECONDS,
        ).sign(key)
    except ChainUnavailable:
        # Nothing was signed or stored: hand the claim back so that the next run starts afresh.
        Withdrawal.objects.filter(pk=withdrawal_id, status=Withdrawal.Status.PROCESSING,
                                  claimed_at=claimed_at).update(status=Withdrawal.Status.APPROVED,
                                                                updated_at=timezone.now())
        raise
    signed = txn.to_json()
    try:
        with transaction.atomic():
            locked = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
            if locked.status != Withdrawal.Status.PROCESSING or locked.claimed_at != claimed_at:
                return None  # the claim was taken over; this signature is thrown away unsent
            transfer = ChainTransfer.objects.create(
                purpose=ChainTransfer.Purpose.WITHDRAWAL, withdrawal=locked,
                attempt=locked.transfers.count() + 1, txid=txn.txid, signed_tx=signed,
                expiration_ms=signed["raw_data"]["expiration"],
            )
            locked.status = Withdrawal.Status.SIGNED
            locked.txid = txn.txid
            locked.save(update_fields=["status", "txid", "updated_at"])
            _history_update(locked, status=Transaction.Status.PROCESSING, txn_hash=txn.txid, updated_at=timezone.now())
    except IntegrityError:
        logger.warning("withdrawal %s already has a live transaction; not signing another", withdrawal_id)
        return None
    transfer_broadcast(transfer=transfer, client=client)
    return transfer


def withdrawals_follow(*, client: ChainClient | None = None, result: ProcessResult | None = None) -> ProcessResult:
    """Advance every withdrawal in flight, each in its own database transaction.

    One that fails is recorded as stuck (job "withdrawal_follow_up") and the others go on; a
    node that does not answer stops the run instead (the task retries it), since every
    withdrawal would fail alike.
    """
    from phonix.stuck import stuck_item_clear, stuck_item_record

    client = client or chain_client()
    result = result or ProcessResult()
    live = ChainTransfer.objects.filter(purpose=ChainTransfer.Purpose.WITHDRAWAL, state__in=LIVE).order_by("id")
    for transfer in live:
        try:
            with transaction.atomic():
                _follow_one(transfer, client, result)
        except ChainUnavailable:
            raise
        except Exception as error:
            stuck_item_record(job=FOLLOW_UP_JOB, item_id=transfer.withdrawal_id, error=error)
        else:
            stuck_item_clear(job=FOLLOW_UP_JOB, item_id=transfer.withdrawal_id)
    return result


def _follow_one(transfer: ChainTransfer, client: ChainClient, result: ProcessResult) -> None:
    outcome = transfer_check(transfer=transfer, client=client)
    if outcome.state == "confirmed":
        assert outcome.receipt is not None  # a confirmed transfer comes with its receipt
        _complete(transfer, outcome.receipt)
        result.completed.append(_withdrawal_id(transfer))
    elif outcome.state == "failed":
        assert outcome.receipt is not None  # so does a failed one
        _fail(transfer, outcome.receipt)
        result.failed.append(_withdrawal_id(transfer))
    elif outcome.state == "dead":
        _requeue(transfer)
        result.resigned.append(_withdrawal_id(transfer))


def _withdrawal_id(transfer: ChainTransfer) -> int:
    assert transfer.withdrawal_id is not None  # only withdrawal transfers are followed here
    return transfer.withdrawal_id


def _complete(transfer: ChainTransfer, receipt: JsonObject) -> None:
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=_withdrawal_id(transfer))
        if withdrawal.status == Withdrawal.Status.COMPLETED:
            return
        hold = member_account(user_id=withdrawal.user_id, code=AccountCode.WITHDRAWAL_HOLD)
        entries = [(hold.id, -withdrawal.amount),
                   (platform_account(AccountCode.CUSTODY).id, withdrawal.net_amount)]
        if withdrawal.fee:
            entries.append((platform_account(AccountCode.FEES).id, withdrawal.fee))
        ledger_post(key=f"withdrawal:{withdrawal.pk}:complete", kind=LedgerTransaction.Kind.WITHDRAWAL,
                    entries=entries, memo=f"withdrawal {withdrawal.pk} sent in {transfer.txid}")
        now = timezone.now()
        ChainTransfer.objects.filter(pk=transfer.pk).update(
            state=ChainTransfer.State.CONFIRMED, block_number=receipt.get("blockNumber"),
            receipt_result=receipt.get("receipt", {}).get("result", "SUCCESS"), fee_sun=receipt.get("fee", 0),
            updated_at=now,
        )
        withdrawal.status = Withdrawal.Status.COMPLETED
        withdrawal.txid = transfer.txid
        withdrawal.completed_at = now
        withdrawal.save(update_fields=["status", "txid", "completed_at", "updated_at"])
        _history_update(withdrawal, status=Transaction.Status.COMPLETED, txn_hash=transfer.txid, completed_at=now,
                        updated_at=now)
        _notify(withdrawal)


def _fail(transfer: ChainTransfer, receipt: JsonObject) -> None:
    result = receipt.get("receipt", {}).get("result", "FAILED")
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=_withdrawal_id(transfer))
        ChainTransfer.objects.filter(pk=transfer.pk).update(
            state=ChainTransfer.State.FAILED, block_number=receipt.get("blockNumber"), receipt_result=result[:40],
            fee_sun=receipt.get("fee", 0), updated_at=timezone.now(),
        )
        if withdrawal.status in Withdrawal.OPEN:
            _refund(withdrawal, Withdrawal.Status.FAILED,
                    _("The network did not complete the transfer (%(result)s). The amount was returned to your "
                      "balance.") % {"result": result})


def _requeue(transfer: ChainTransfer) -> None:
    """The transaction expired unmined: mark it dead so that the withdrawal can be signed again."""
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=_withdrawal_id(transfer))
        ChainTransfer.objects.filter(pk=transfer.pk, state__in=LIVE).update(
            state=ChainTransfer.State.DEAD, updated_at=timezone.now()
        )
        if withdrawal.status in (Withdrawal.Status.SIGNED, Withdrawal.Status.BROADCAST):
            withdrawal.status = Withdrawal.Status.APPROVED
            withdrawal.save(update_fields=["status", "updated_at"])
    logger.warning("withdrawal %s: transaction %s expired unmined; it will be signed again",
                   transfer.withdrawal_id, transfer.txid)


# Watchdog -----------------------------------------------------------------------------------


@dataclass
class WatchdogReport:
    released: list[int] = field(default_factory=list)
    followed: ProcessResult = field(default_factory=ProcessResult)
    stuck: dict[str, list[int]] = field(default_factory=dict)


def withdrawals_watchdog(*, client: ChainClient | None = None) -> WatchdogReport:
    """Find withdrawals stuck in any state; release dead claims and push in-flight ones along."""
    now = timezone.now()
    report = WatchdogReport()
    # A claim that never got as far as a stored signature: nothing was sent, so it can be retried.
    abandoned = Withdrawal.objects.filter(status=Withdrawal.Status.PROCESSING, claimed_at__lt=now - CLAIM_TIMEOUT)
    for withdrawal in abandoned:
        released = Withdrawal.objects.filter(
            pk=withdrawal.pk, status=Withdrawal.Status.PROCESSING, claimed_at=withdrawal.claimed_at
        ).exclude(transfers__state__in=LIVE).update(status=Withdrawal.Status.APPROVED, updated_at=now)
        if released:
            report.released.append(withdrawal.pk)
    if ChainTransfer.objects.filter(purpose=ChainTransfer.Purpose.WITHDRAWAL, state__in=LIVE).exists():
        report.followed = withdrawals_follow(client=client)
    threshold = now - timedelta(minutes=settings.WITHDRAWAL_STUCK_MINUTES)
    for status in (Withdrawal.Status.APPROVED, Withdrawal.Status.PROCESSING, Withdrawal.Status.SIGNED,
                   Withdrawal.Status.BROADCAST):
        ids = list(Withdrawal.objects.filter(status=status, updated_at__lt=threshold).values_list("pk", flat=True))
        if ids:
            report.stuck[str(status)] = ids
            logger.error("withdrawals stuck in %s for more than %s minutes: %s", status,
                         settings.WITHDRAWAL_STUCK_MINUTES, ids)
    if Withdrawal.objects.filter(status=Withdrawal.Status.APPROVED).exists():
        signals.withdrawals_waiting.send(sender=Withdrawal)
    return report


# Notifications ------------------------------------------------------------------------------


def _notify(withdrawal: Withdrawal) -> None:
    from phonix.notifications import notify

    withdrawal_id, status = withdrawal.pk, str(withdrawal.status)
    signals.withdrawal_status_changed.send(sender=Withdrawal, withdrawal_id=withdrawal_id, status=status)
    kind = "withdrawal_requested" if status == Withdrawal.Status.PENDING else f"withdrawal_{status}"
    notify(user_id=withdrawal.user_id, kind=kind, key=f"withdrawal:{withdrawal_id}:{status}", params={
        "amount": withdrawal.amount, "net": withdrawal.net_amount, "reason": withdrawal.failure_reason,
        "txid": withdrawal.txid or "",
    })


def withdrawal_notify(*, withdrawal_id: int, status: str) -> bool:
    from django.core.mail import send_mail

    from phonix.notifications import email_wanted

    from .chain import tronscan_url

    withdrawal = Withdrawal.objects.select_related("user").get(pk=withdrawal_id)
    if not withdrawal.user.email or not email_wanted(user_ids=[withdrawal.user_id], topic="withdrawals"):
        return False
    lines = [
        _("Withdrawal of %(amount)s USDT to %(address)s: %(status)s.") % {
            "amount": f"{withdrawal.amount:.2f}", "address": withdrawal.address,
            "status": Withdrawal.Status(status).label,
        },
        _("Fee %(fee)s USDT, you receive %(net)s USDT.") % {"fee": f"{withdrawal.fee:.2f}",
                                                           "net": f"{withdrawal.net_amount:.2f}"},
    ]
    if status == Withdrawal.Status.COMPLETED:
        lines.append(tronscan_url(withdrawal.txid))
    if withdrawal.failure_reason and status in (Withdrawal.Status.FAILED, Withdrawal.Status.REJECTED):
        lines.append(withdrawal.failure_reason)
    send_mail(_("Withdrawal %(status)s") % {"status": Withdrawal.Status(status).label.lower()}, "\n".join(lines),
              settings.DEFAULT_FROM_EMAIL, [withdrawal.user.email])
    return True


def withdrawal_history(*, user: User) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(user=user).order_by("-created_at", "-id")


# What the withdraw page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawPage:
    address: str
    address_valid: bool
    cooldown_until: object
    credentials_hold: object  # accounts.selectors.CredentialsHold or None
    available: Decimal
    minimum: Decimal
    fee_percent: Decimal
    maximum: Decimal | None
    daily_maximum: Decimal | None
    recent: list[Withdrawal]


def withdraw_page(*, user: User, limit: int = 10) -> WithdrawPage:
    from ..ledger.history import member_balance

    policy = custody_policy_current()
    return WithdrawPage(
        address=user.trc20_wallet_address, address_valid=tron_address_is_valid(user.trc20_wallet_address or ""),
        cooldown_until=withdrawal_cooldown_until(user=user),
        credentials_hold=credentials_hold(user=user),
        available=member_balance(user=user, code=AccountCode.MAIN),
        minimum=policy.withdrawal_minimum, fee_percent=policy.withdrawal_fee_percent,
        maximum=policy.withdrawal_maximum, daily_maximum=policy.daily_maximum,
        recent=list(withdrawal_history(user=user)[:limit]),
    )
