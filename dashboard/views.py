from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from accounts.selectors import qr_svg_cached
from earnings.selectors import earnings_summary
from investment.selectors import subscription_active_list, subscription_states
from mining.selectors import mining_status
from wallet.selectors import member_balances, recent_history


@login_required
def home(request):
    user = request.user
    active = subscription_active_list(user=user)
    states = subscription_states(user=user, subscriptions=active)
    link = request.build_absolute_uri(reverse("referral_link", args=[user.referral_code])) if user.referral_code else ""
    return render(request, "dashboard/home.html", {
        "balances": member_balances(user=user), "recent": recent_history(user=user),
        "earnings": earnings_summary(user=user), "mining": mining_status(user=user),
        "subscriptions": [(subscription, states[subscription.pk]) for subscription in active],
        "referral_link": link, "referral_qr": qr_svg_cached(link) if link else "",
    })


def landing(request):
    """The public home page: what Phonix is, the plan in force and its rules, in plain words."""
    from django.conf import settings

    from investment.selectors import plan_current, plan_generation_bands
    from ranks.ladder import LADDER
    from wallet.policy import custody_policy_current

    plan = plan_current()
    return render(request, "home.html", {
        "plan": plan, "tiers": plan.tiers(), "bands": plan_generation_bands(plan=plan), "ladder": LADDER,
        "policy": custody_policy_current(), "registration_bonus": settings.REGISTRATION_BONUS,
    })
