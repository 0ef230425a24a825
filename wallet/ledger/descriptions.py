"""What a history line says, written in the reader's language when the page is shown.

The words are built from the row's structured data — its type, the ledger key that moved the
money (`gen:<subscription>:<level>`; a payout batch's `daily:<date>:members:…` and
`weekly:<week>:members:…`, or the older per-payout `daily:<subscription>:<date>` and
`weekly:<user>:<week>`), the subscription and the address — so a Chinese page never shows text stored in English. The
stored `description` is used only for what staff typed (adjustments, rejection reasons) and for
rows whose data does not say more.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from phonix.templatetags.money import usdt

from ..models import Transaction

Type, Status = Transaction.Type, Transaction.Status


def _key_parts(txn: Transaction, prefix: str) -> list[str] | None:
    key = txn.ledger_transaction.idempotency_key if txn.ledger_transaction is not None else ""
    parts = key.split(":")
    return parts if parts[0] == prefix else None


def _generation(txn: Transaction) -> str | None:
    parts, subscription = _key_parts(txn, "gen"), txn.subscription
    if not parts or len(parts) != 3 or subscription is None:
        return None
    return _("Level %(level)s generation income from %(member)s's purchase of %(amount)s USDT") % {
        "level": parts[2], "member": subscription.user.username, "amount": usdt(subscription.amount),
    }


def _batch_period(parts: list[str] | None) -> str | None:
    """The date or week of a payout batch key, `<prefix>:<period>:members:<first>-<last>`."""
    return parts[1] if parts and len(parts) == 4 and parts[2] == "members" else None


def _daily(txn: Transaction) -> str | None:
    parts = _key_parts(txn, "daily")
    if parts and len(parts) == 3:  # one transaction per payout, before payout batches
        return _("Daily income of subscription #%(id)s for %(date)s") % {"id": parts[1], "date": parts[2]}
    date = _batch_period(parts)
    if date is None:
        return None
    if txn.subscription_id:
        return _("Daily income of subscription #%(id)s for %(date)s") % {"id": txn.subscription_id, "date": date}
    return _("Daily income of several subscriptions for %(date)s") % {"date": date}


def _weekly(txn: Transaction) -> str | None:
    parts = _key_parts(txn, "weekly")
    week = parts[2] if parts and len(parts) == 3 else _batch_period(parts)
    return _("Weekly bonus for the week %(week)s") % {"week": week} if week else None


def _purchase(txn: Transaction) -> str | None:
    subscription = txn.subscription
    if subscription is None:
        return None
    return _("Subscription #%(id)s (%(tier)s, %(rate)s%% a month)") % {
        "id": subscription.pk, "tier": subscription.get_tier_display(),
        "rate": f"{subscription.monthly_rate.normalize():f}",
    }


def _withdrawal(txn: Transaction) -> str | None:
    if not txn.wallet_address:
        return None
    text = _("Withdrawal to %(address)s") % {"address": txn.wallet_address}
    if txn.status in (Status.FAILED, Status.CANCELLED) and txn.description:
        # The reason is the staff's or the network's words, kept as they were given.
        text += " — " + _("returned: %(reason)s") % {"reason": txn.description}
    return text


def _bonus(txn: Transaction) -> str | None:
    return _("Registration bonus") if _key_parts(txn, "bonus") or not txn.description else None


def _promotion(txn: Transaction) -> str | None:
    # A staff distribution (earnings.distributions): the reason as the staff typed it.
    return _("Promotion: %(reason)s") % {"reason": txn.description} if txn.description else None


_BUILDERS: dict[str, Callable[[Transaction], str | None]] = {
    Type.COMMISSION: _generation,
    Type.DAILY_INCOME: _daily,
    Type.WEEKLY_BONUS: _weekly,
    Type.PURCHASE: _purchase,
    Type.WITHDRAWAL: _withdrawal,
    Type.DEPOSIT: lambda txn: _("USDT (TRC20) deposit"),
    Type.BONUS: _bonus,
    Type.PROMOTION: _promotion,
}


def history_description(txn: Transaction) -> str:
    """The description of one history line in the active language (staff text stays as typed)."""
    builder = _BUILDERS.get(txn.type)
    return (builder(txn) if builder else None) or txn.description
