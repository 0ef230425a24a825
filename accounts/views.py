import time
from typing import cast

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from phonix.auth import MemberRequest
from phonix.page_cache import member_page
from phonix.params import query_params
from phonix.ratelimit import rate_limit_check, rate_limited

from . import selectors, services
from .codes import referral_code_normalise
from .email_address import (
    EmailChangeRefused,
    EmailLinkInvalid,
    email_change_request,
    email_confirmation_resend,
)
from .email_address import (
    email_confirm as email_link_open,
)
from .forms import (
    DisableTwoFactorForm,
    EmailChangeForm,
    EnableTwoFactorForm,
    LoginForm,
    ProfileForm,
    ReferralQueryForm,
    RegistrationForm,
    TeamQueryForm,
    TeamTreeQueryForm,
    TokenForm,
    WithdrawalAddressForm,
)
from .models import User
from .signals import profile_shown

REFERRAL_SESSION_KEY = "referral_code"
PENDING_SESSION_KEY = "pending_2fa"
PENDING_SECONDS = 300
TEAM_PAGE_SIZE = 25
TREE_PAGE_SIZE = 50
ENROL_SESSION_KEY = "totp_enrol_device"


# Joining -------------------------------------------------------------------------------------


@require_GET
@rate_limited(group="referral_lookup", key="ip", methods=("GET",))
def referral_link(request: HttpRequest, code: str) -> HttpResponse:
    """/r/<code>/: remember the code for this visitor and open the registration page."""
    code = referral_code_normalise(code)[:32]
    request.session[REFERRAL_SESSION_KEY] = code
    return redirect(f"{reverse('accounts:register')}?ref={code}")


@require_http_methods(["GET", "POST"])
@rate_limited(group="registration", key="ip")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    if request.method == "POST":
        form = RegistrationForm(request.POST)
        if form.is_valid():
            try:
                user = form.register(site_url=request.build_absolute_uri("/"))
            except IntegrityError:
                # Someone took the username or email between the check and the insert.
                form.add_error(None, _("That username or email was just taken. Please choose another."))
            else:
                request.session.pop(REFERRAL_SESSION_KEY, None)
                auth_login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
                messages.success(request, _(
                    "Welcome to Phonix! Open the link we sent to your e-mail address to confirm it;"
                    " your registration bonus is credited then."
                ))
                return redirect("dashboard:home")
    else:
        code = query_params(request, ReferralQueryForm)["ref"] or request.session.get(REFERRAL_SESSION_KEY, "")
        if code:  # the page names the code's sponsor
            rate_limit_check(request, group="referral_lookup", key="ip")
        form = RegistrationForm(initial={"referral_code": referral_code_normalise(code)[:32]})
    return render(request, "accounts/register.html", {"form": form, **_sponsor_preview(form)})


@require_GET
@rate_limited(group="referral_lookup", key="ip", methods=("GET",))
def register_sponsor(request: HttpRequest) -> HttpResponse:
    """htmx: who the sponsor will be for the code typed so far."""
    code = query_params(request, ReferralQueryForm)["referral_code"]
    form = RegistrationForm(initial={"referral_code": code})
    return render(request, "accounts/partials/_sponsor.html", _sponsor_preview(form))


def _sponsor_preview(form: RegistrationForm) -> dict:
    if form.is_bound:
        raw = form.data.get("referral_code", "")
    else:
        raw = form.initial.get("referral_code", "")
    code = referral_code_normalise(raw)
    if not code:
        return {"sponsor": None, "sponsor_code": ""}
    return {"sponsor": selectors.sponsor_by_code(code=code), "sponsor_code": code}


# Signing in ----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Password first; members with 2FA then prove a code before the session is theirs."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not selectors.two_factor_enabled(user=user):
            return super().form_valid(form)
        self.request.session[PENDING_SESSION_KEY] = {
            "user_id": user.pk, "backend": user.backend, "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("accounts:login_verify")


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        rate_limit_check(request, group="two_factor", key=f"user:{user.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=user, token=form.cleaned_data["token"])
        except services.TwoFactorThrottled as error:
            form.add_error("token", str(error))
            device = False
        if device is None:
            form.add_error("token", _("That code is not valid (or was used already)."))
        elif device:
            request.session.pop(PENDING_SESSION_KEY, None)
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            if device.__class__.__name__ == "StaticDevice":
                messages.warning(request, _("You used a recovery code. Each code works only once."))
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("dashboard:home")
            return redirect(target)
    return render(request, "accounts/login_verify.html", {"form": form})


# Profile and security ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: MemberRequest) -> HttpResponse:
    user = request.user
    profile_form = ProfileForm(instance=user)
    address_form = WithdrawalAddressForm(user=user)
    if request.method == "POST" and "save_profile" in request.POST:
        profile_form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
        if profile_form.is_valid():
            data = profile_form.cleaned_data
            services.user_profile_update(user=user, first_name=data["first_name"], last_name=data["last_name"])
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    elif request.method == "POST" and "save_address" in request.POST:
        rate_limit_check(request, group="address_change", key="user")
        rate_limit_check(request, group="password_check", key="user")
        address_form = WithdrawalAddressForm(request.POST, user=user)
        if address_form.is_valid():
            services.withdrawal_address_set(user=user, address=address_form.cleaned_data["address"])
            messages.success(request, _("Your withdrawal address was saved. Withdrawals to it open in 24 hours."))
            return redirect("accounts:profile")
    context = {
        "profile_form": profile_form, "address_form": address_form,
        "cooldown_until": selectors.withdrawal_cooldown_until(user=user),
    }
    for _receiver, extra in profile_shown.send(sender=User, user=user):
        context.update(cast(dict[str, object], extra))  # the e-mail choices, kept by the dashboard
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def security(request: MemberRequest) -> HttpResponse:
    user = request.user
    context: dict = {"enabled": selectors.two_factor_enabled(user=user)}
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "begin" and not context["enabled"]:
        device = services.two_factor_begin(user=user)
        request.session[ENROL_SESSION_KEY] = device.pk
        return redirect("accounts:security")
    if action in ("confirm", "regenerate", "disable"):
        rate_limit_check(request, group="two_factor", key="user")
    if action in ("regenerate", "disable"):
        rate_limit_check(request, group="password_check", key="user")
    if action == "confirm" and not context["enabled"]:
        form = EnableTwoFactorForm(request.POST)
        device_id = request.session.get(ENROL_SESSION_KEY)
        if form.is_valid() and device_id:
            try:
                result = services.two_factor_confirm(user=user, device_id=device_id,
                                                     token=form.cleaned_data["token"])
            except services.TwoFactorThrottled as error:
                form.add_error("token", str(error))
                result = False
            if result:
                device, codes = result
                request.session.pop(ENROL_SESSION_KEY, None)
                otp_login(request, device)
                messages.success(request, _("Two-factor authentication is on."))
                return render(request, "accounts/recovery_codes.html", {"codes": codes})
            elif result is None:
                form.add_error("token", _("That code is not valid. Check the time on your phone and try again."))
        context["enrol_form"] = form
    if action in ("regenerate", "disable") and context["enabled"]:
        proof_form = DisableTwoFactorForm(request.POST, user=user)  # the password and a second factor
        if proof_form.is_valid():
            if action == "disable":
                services.two_factor_disable(user=user)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("accounts:security")
            codes = services.recovery_codes_regenerate(user=user)
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        context[f"{action}_form"] = proof_form
    if not context["enabled"]:
        device = selectors.enrolment_device(user=user, device_id=request.session.get(ENROL_SESSION_KEY))
        if device is not None:
            context.update(device=device, qr=selectors.qr_svg(device.config_url),
                           secret=selectors.totp_secret(device=device))
            context.setdefault("enrol_form", EnableTwoFactorForm())
    else:
        context["codes_left"] = selectors.recovery_codes_left(user=user)
        context.setdefault("regenerate_form", DisableTwoFactorForm(user=user))
        context.setdefault("disable_form", DisableTwoFactorForm(user=user))
    return render(request, "accounts/security.html", context)


# E-mail address ------------------------------------------------------------------------------


@require_GET
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link from the e-mail: works signed in or not (it is the proof, not the session)."""
    try:
        confirmed = email_link_open(token=token[:1000])
    except (EmailLinkInvalid, EmailChangeRefused) as error:
        messages.error(request, str(error))
    else:
        if confirmed.changed_from:
            messages.success(request, _("Your e-mail address is now %(address)s.")
                             % {"address": confirmed.user.email})
        elif confirmed.first_time:
            messages.success(request, _(
                "Your e-mail address is confirmed. Your registration bonus is in your bonus balance."
            ))
        else:
            messages.info(request, _("Your e-mail address was already confirmed."))
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")


@login_required
@require_http_methods(["POST"])
def email_resend(request: MemberRequest) -> HttpResponse:
    try:
        email_confirmation_resend(user=request.user, site_url=request.build_absolute_uri("/"))
    except EmailChangeRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new confirmation link is on its way to %(address)s.")
                         % {"address": request.user.email})
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited(group="password_check", key="user")  # it checks the current password
def email_change(request: MemberRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            address = email_change_request(
                user=request.user, password=form.cleaned_data["password"], address=form.cleaned_data["email"],
                site_url=request.build_absolute_uri("/"),
            )
        except EmailChangeRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _(
                "Open the link we sent to %(address)s to make it your e-mail address. Until then your"
                " current address stays."
            ) % {"address": address})
            return redirect("accounts:profile")
    return render(request, "accounts/email_change.html", {"form": form})


# Team ----------------------------------------------------------------------------------------


@login_required
@require_GET
@member_page
def team(request: MemberRequest) -> HttpResponse:
    user = request.user
    if not user.referral_code:
        services.referral_code_issue(user=user)
    link = request.build_absolute_uri(reverse("referral_link", args=[user.referral_code]))
    stats = selectors.team_stats_cached(user=user)
    context = {
        "link": link, "qr": selectors.qr_svg_cached(link), "stats": stats,
        "levels": list(enumerate(stats.per_level, start=1)),
        "chart": {"labels": [str(level) for level in range(1, 21)], "counts": stats.per_level},
        **_members_context(request, stats),
    }
    return render(request, "team/team.html", context)


@login_required
@require_GET
def team_members(request: MemberRequest) -> HttpResponse:
    """htmx: the member list for the chosen filters and page."""
    return render(request, "team/partials/_members.html", _members_context(request, None))


def _members_context(request: MemberRequest, stats) -> dict:
    params = query_params(request, TeamQueryForm, defaults={"level": "1"})
    return {**selectors.team_members_page(user=request.user, params=params, stats=stats, page_size=TEAM_PAGE_SIZE),
            "level_choices": range(1, 21)}


@login_required
@require_GET
def team_tree(request: MemberRequest, member_id: int) -> HttpResponse:
    """htmx: the direct referrals of one member of the team, a page at a time."""
    offset = query_params(request, TeamTreeQueryForm)["offset"] or 0
    tree = selectors.team_tree_children(user=request.user, member_id=member_id, offset=offset, limit=TREE_PAGE_SIZE)
    if tree is None:
        raise Http404
    return render(request, "team/partials/_tree_children.html", {
        "node": tree.node, "more": tree.more, "next_offset": offset + TREE_PAGE_SIZE, "children": tree.children,
    })
