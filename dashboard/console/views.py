"""The operator console and the staff distribution page (staff with 2FA: see urls.py)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from earnings.distributions import DISTRIBUTE_PERMISSION, distribution_pay, distribution_preview
from earnings.forms import DistributionForm
from earnings.models import Distribution
from phonix.exceptions import PhonixError

from .charts import console_charts
from .selectors import console_figures


def console(request):
    figures = console_figures()
    return render(request, "dashboard/console/console.html", {
        "figures": figures, "charts": console_charts(figures),
        "can_distribute": request.user.has_perm(DISTRIBUTE_PERMISSION),
    })


def distributions(request):
    """Preview (count, total, what the caps cut), then confirm with the preview's key."""
    if not request.user.has_perm(DISTRIBUTE_PERMISSION):
        raise PermissionDenied(_("Distributing promotional income needs its own permission."))
    form, preview = DistributionForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "confirm" in request.POST and data["token"]:
                result = distribution_pay(
                    actor=request.user, key=data["token"], recipients=data["recipients"], amount=data["amount"],
                    account=data["account"], reason=data["reason"],
                )
                distribution = result.distribution
                if result.created:
                    messages.success(request, _("Distribution %(id)s paid %(paid)s members %(total)s USDT.") % {
                        "id": distribution.pk, "paid": distribution.paid_count, "total": distribution.paid_total})
                else:
                    messages.info(request, _("Distribution %(id)s was already made; nothing more was paid.")
                                  % {"id": distribution.pk})
                return redirect("console:distributions")
            preview = distribution_preview(recipients=data["recipients"], amount=data["amount"],
                                           account=data["account"])
            form = DistributionForm({**request.POST.dict(), "token": str(uuid.uuid4())})
            form.is_valid()
        except PhonixError as error:
            form.add_error(None, str(error))
            preview = None
    return render(request, "dashboard/console/distributions.html", {
        "form": form, "preview": preview,
        "recent": Distribution.objects.select_related("created_by").order_by("-created_at", "-id")[:20],
    })
