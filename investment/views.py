import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from phonix.auth import MemberRequest
from phonix.exceptions import PhonixError
from phonix.page_cache import member_page
from phonix.params import query_params
from wallet.ledger.history import member_balances

from .forms import PurchaseForm
from .selectors import plan_current, purchase_quote, subscription_list, subscription_states
from .services import subscription_purchase

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
@member_page
def plans(request: MemberRequest) -> HttpResponse:
    """The tiers, then a purchase in two steps: preview (nothing written), confirm (the purchase)."""
    plan = plan_current()
    preview = None
    if request.method == "POST":
        form = PurchaseForm(request.POST)
        # "Change" on the preview brings the form back, bound, with what the member typed.
        if request.POST.get("step") != "edit" and form.is_valid():
            data = form.cleaned_data
            try:
                if request.POST.get("step") == "confirm":
                    subscription_purchase(
                        user=request.user, amount=data["amount"], use_bonus=data["use_bonus"],
                        token=str(data["token"]), plan_version_id=data["plan_version"],
                    )
                    messages.success(request, _("Your subscription is active. Daily income starts the next weekday."))
                    if request.htmx:
                        return HttpResponseClientRedirect(reverse("investment:subscriptions"))
                    return redirect("investment:subscriptions")
                if data["plan_version"] != plan.pk:
                    form.add_error(None, _("The plan changed; please review the new terms."))
                else:
                    preview = purchase_quote(user=request.user, amount=data["amount"], use_bonus=data["use_bonus"])
            except PhonixError as error:
                form.add_error(None, str(error))
                preview = None
    else:
        form = PurchaseForm(initial={"token": uuid.uuid4(), "plan_version": plan.pk})
    context = {"plan": plan, "tiers": plan.tiers(), "form": form, "preview": preview,
               "balances": member_balances(user=request.user)}
    if request.htmx:
        return render(request, "investment/partials/_purchase.html", context)
    return render(request, "investment/plans.html", context)


@login_required
def subscriptions(request: MemberRequest) -> HttpResponse:
    number = query_params(request)["page"]
    page = Paginator(subscription_list(user=request.user), PAGE_SIZE).get_page(number)
    states = subscription_states(user=request.user, subscriptions=page.object_list)
    rows = [(subscription, states[subscription.pk]) for subscription in page.object_list]
    template = "investment/partials/_subscriptions.html" if request.htmx else "investment/subscriptions.html"
    return render(request, template, {"page": page, "rows": rows})
