"""What a notification says, written from its kind and parameters in the reader's language."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Notification

Kind = Notification.Kind


@dataclass(frozen=True)
class NotificationText:
    title: str
    body: str
    url: str


def _usdt(value: str | None) -> str:
    try:
        return f"{Decimal(value or '0'):.2f}"
    except InvalidOperation:
        return str(value)


def _rank(code: str) -> str:
    from ranks.models import RankCode

    return str(RankCode(code).label) if code in RankCode.values else code


def _credential(code: str) -> str:
    from accounts.models import Credential

    return str(Credential(code).label) if code in Credential.values else code


def _mining_outcome(outcome: str, reward: str) -> str:
    from mining.models import MiningSession

    if outcome == MiningSession.Outcome.REWARDED:
        return _("%(amount)s USDT free reward credited to your bonus balance.") % {"amount": _usdt(reward)}
    if outcome in MiningSession.Outcome.values:
        return str(MiningSession.Outcome(outcome).label)
    return ""


def notification_text(notification: Notification) -> NotificationText:
    """Title, sentence and link of a notification, in the active language."""
    p = notification.params
    amount = _usdt(p.get("amount"))
    withdraw, wallet = reverse("wallet:withdraw"), reverse("wallet:transactions")
    match notification.kind:
        case Kind.DEPOSIT_SEEN:
            return NotificationText(_("Deposit on its way"), _(
                "We see your deposit of %(amount)s USDT on the TRON network; it is credited once confirmed."
            ) % {"amount": amount}, reverse("wallet:deposit"))
        case Kind.DEPOSIT_CREDITED:
            return NotificationText(_("Deposit credited"), _(
                "Your deposit of %(amount)s USDT was credited to your main balance."
            ) % {"amount": amount}, wallet)
        case Kind.WITHDRAWAL_REQUESTED:
            return NotificationText(_("Withdrawal requested"), _(
                "Your withdrawal of %(amount)s USDT is waiting for approval."
            ) % {"amount": amount}, withdraw)
        case Kind.WITHDRAWAL_APPROVED:
            return NotificationText(_("Withdrawal approved"), _(
                "Your withdrawal of %(amount)s USDT was approved and is being sent."
            ) % {"amount": amount}, withdraw)
        case Kind.WITHDRAWAL_REJECTED:
            return NotificationText(_("Withdrawal rejected"), _(
                "Your withdrawal of %(amount)s USDT was rejected and returned to your balance. Reason: %(reason)s"
            ) % {"amount": amount, "reason": p.get("reason", "")}, withdraw)
        case Kind.WITHDRAWAL_COMPLETED:
            return NotificationText(_("Withdrawal completed"), _(
                "%(net)s USDT were sent to your TRON address."
            ) % {"net": _usdt(p.get("net"))}, withdraw)
        case Kind.WITHDRAWAL_FAILED:
            return NotificationText(_("Withdrawal failed"), _(
                "Your withdrawal of %(amount)s USDT could not be sent and was returned to your balance."
            ) % {"amount": amount}, withdraw)
        case Kind.GENERATION_INCOME:
            return NotificationText(_("Generation income"), _(
                "On %(date)s your team's purchases paid you %(amount)s USDT of generation income (%(count)s payments)."
            ) % {"date": p.get("date", ""), "amount": amount, "count": p.get("count", "")},
                reverse("earnings:generation"))
        case Kind.WEEKLY_BONUS:
            return NotificationText(_("Weekly bonus"), _(
                "Your %(rank)s weekly bonus for %(week)s: %(amount)s USDT."
            ) % {"rank": _rank(p.get("rank", "")), "week": p.get("week", ""), "amount": amount},
                reverse("ranks:overview"))
        case Kind.RANK_ACHIEVED:
            return NotificationText(_("New rank"), _(
                "Congratulations: you reached the rank %(rank)s. Its weekly bonus starts next Monday."
            ) % {"rank": _rank(p.get("rank", ""))}, reverse("ranks:overview"))
        case Kind.SUBSCRIPTION_COMPLETED:
            return NotificationText(_("Subscription completed"), _(
                "Your subscription #%(id)s of %(amount)s USDT reached its 3× cap and has completed."
            ) % {"id": p.get("subscription", ""), "amount": amount}, reverse("investment:subscriptions"))
        case Kind.CREDENTIALS_CHANGED:
            return NotificationText(_("Security change"), _(
                "Your %(credential)s was changed. If this was not you, contact support at once."
            ) % {"credential": _credential(p.get("credential", ""))}, reverse("accounts:security"))
        case Kind.MINING_SESSION_COMPLETED:
            return NotificationText(_("Mining session completed"), " ".join(filter(None, [
                _("Your 24-hour mining session has ended; you can start a new one."),
                _mining_outcome(p.get("outcome", ""), p.get("reward", "")),
            ])), reverse("mining:session"))
    return NotificationText(str(notification.get_kind_display()), "", reverse("dashboard:notifications"))
