from django import template
from django.utils.translation import gettext as _

from earnings.models import Commission
from phonix.templatetags.money import usdt

register = template.Library()
Reason = Commission.SkipReason


@register.filter
def skip_explained(commission: Commission) -> str:
    """Why a level paid nothing, saying what was missing."""
    if commission.skip_reason == Reason.DIRECTS:
        if commission.directs_had is None:  # decided before the count was recorded
            return _("This level needs %(needed)s direct referrals.") % {"needed": commission.directs_needed}
        return _("This level needs %(needed)s direct referrals; you had %(had)s.") % {
            "needed": commission.directs_needed, "had": commission.directs_had}
    if commission.skip_reason == Reason.CAP:
        return _("Your 3× cap was reached: %(amount)s USDT not paid.") % {"amount": usdt(commission.capped_amount)}
    if commission.skip_reason == Reason.INACTIVE:
        return _("You had no active subscription, so you were not an active investor.")
    if commission.skip_reason == Reason.DISABLED:
        return _("Account deactivated.")
    return commission.get_skip_reason_display()
