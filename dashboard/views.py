from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import qr_svg_cached
from earnings.selectors import earnings_summary
from investment.selectors import subscription_active_list, subscription_states
from mining.selectors import mining_status
from phonix.page_cache import member_page, page_expires_at
from phonix.params import query_params
from ranks.selectors import rank_progress
from wallet.ledger.history import member_balances, recent_history

from . import selectors, services
from .forms import EmailPreferencesForm, NotificationReadForm

PAGE_SIZE = 20
DASHBOARD_ANNOUNCEMENTS = 3
DASHBOARD_NOTIFICATIONS = 5


@login_required
@member_page
def home(request):
    user = request.user
    active = subscription_active_list(user=user)
    states = subscription_states(user=user, subscriptions=active)
    link = request.build_absolute_uri(reverse("referral_link", args=[user.referral_code])) if user.referral_code else ""
    recent = recent_history(user=user)
    mining = mining_status(user=user)
    if mining.running:  # the card offers the next session once this one ends
        page_expires_at(request, mining.running.ends_at)
    return render(request, "dashboard/home.html", {
        "balances": member_balances(user=user), "recent": recent,
        "earnings": earnings_summary(user=user, recent=recent), "mining": mining,
        "subscriptions": [(subscription, states[subscription.pk]) for subscription in active],
        "referral_link": link, "referral_qr": qr_svg_cached(link) if link else "",
        "chart": selectors.balance_chart_data(user=user),
        "rank": rank_progress(user=user),
        "announcements": list(selectors.announcements_visible(user=user)[:DASHBOARD_ANNOUNCEMENTS]),
        "notifications": list(selectors.notifications_for(user=user)[:DASHBOARD_NOTIFICATIONS]),
    })


@login_required
def announcements(request):
    """Every announcement published for the member; opening the page reads the ones it shows."""
    page = Paginator(selectors.announcements_visible(user=request.user), PAGE_SIZE).get_page(
        query_params(request)["page"]
    )
    # is_read as it was before this visit: the page marks what is new
    shown: list[selectors.VisibleAnnouncement] = list(page.object_list)
    services.announcements_mark_read(user=request.user, announcement_ids=[a.pk for a in shown if not a.is_read])
    return render(request, "dashboard/announcements.html", {"page": page, "announcements": shown})


@login_required
def notifications(request):
    page = Paginator(selectors.notifications_for(user=request.user), PAGE_SIZE).get_page(
        query_params(request)["page"]
    )
    return render(request, "dashboard/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request):
    form = NotificationReadForm(request.POST)
    if form.is_valid():
        services.notification_mark_read(user=request.user, notification_id=form.cleaned_data["notification"])
    return redirect("dashboard:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    return redirect("dashboard:notifications")


@login_required
@require_POST
def email_preferences(request):
    form = EmailPreferencesForm(request.POST)
    form.is_valid()  # booleans: an unticked or odd value is False
    services.email_preferences_set(user=request.user, **form.cleaned_data)
    messages.success(request, _("Your e-mail choices were saved."))
    return redirect("accounts:profile")


def landing(request):
    """The public home page: what Phonix is, the plan in force and its rules, in plain words."""
    from django.conf import settings

    from investment.selectors import plan_current, plan_generation_bands
    from ranks.ladder import LADDER
    from wallet.custody.policy import custody_policy_current

    plan = plan_current()
    return render(request, "home.html", {
        "plan": plan, "tiers": plan.tiers(), "bands": plan_generation_bands(plan=plan), "ladder": LADDER,
        "policy": custody_policy_current(), "registration_bonus": settings.REGISTRATION_BONUS,
    })
