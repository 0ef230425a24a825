from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from phonix.admin import ReadOnlyAdmin
from phonix.exceptions import PhonixError

from .forms import SponsorChangeForm, StaffWithdrawalAddressForm, TwoFactorResetForm
from .models import SponsorChange, User
from .selectors import recovery_codes_left, two_factor_enabled
from .services import referral_code_issue, two_factor_reset, user_sponsor_change, withdrawal_address_set

# django-otp's own admin pages show TOTP keys and unused recovery codes in clear (and let staff
# edit them). Staff see only whether a member has a second factor, and can only reset it.
for _device_model in (TOTPDevice, StaticDevice):
    try:
        admin.site.unregister(_device_model)
    except NotRegistered:
        pass


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username", "email", "referred_by", "direct_referrals_count", "total_invested",
        "total_earnings", "is_active_investor", "is_staff", "joined_at",
    )
    list_filter = ("is_active_investor", "is_staff", "is_active")
    search_fields = ("username", "email", "referral_code")
    list_select_related = ("referred_by",)
    readonly_fields = (
        "total_invested", "total_earnings", "direct_referrals_count", "sponsor_with_change_link",
        "depth", "referral_code", "withdrawal_address_changed_at", "address_with_change_link",
        "two_factor_with_reset_link",
    )
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Phonix",
            {
                "fields": (
                    "referral_code", "sponsor_with_change_link", "depth", "direct_referrals_count",
                    "total_invested", "total_earnings", "is_active_investor", "address_with_change_link",
                    "withdrawal_address_changed_at", "joined_at", "two_factor_with_reset_link",
                )
            },
        ),
    )

    # Who may do what is decided by superusers alone: a staff role that may edit members (to
    # change a sponsor or an address) must not be able to hand itself more permissions.
    ROLE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, *self.ROLE_FIELDS)

    @admin.display(description=_("sponsor"))
    def sponsor_with_change_link(self, obj: User):
        if obj.pk is None:
            return "—"
        url = reverse("admin:accounts_user_sponsor", args=[obj.pk])
        return format_html('{} · <a href="{}">{}</a>', obj.referred_by or "—", url, _("change sponsor"))

    @admin.display(description=_("TRC20 withdrawal address"))
    def address_with_change_link(self, obj: User):
        """Read-only here: a change goes through the service (cooldown, e-mail, audit row)."""
        if obj.pk is None:
            return "—"
        url = reverse("admin:accounts_user_withdrawal_address", args=[obj.pk])
        audit = reverse("admin:phonix_auditlog_changelist") + f"?member={obj.pk}"
        return format_html('{} · <a href="{}">{}</a> · <a href="{}">{}</a>', obj.trc20_wallet_address or "—", url,
                           _("change address"), audit, _("audit log"))

    @admin.display(description=_("Two-factor authentication"))
    def two_factor_with_reset_link(self, obj: User):
        if obj.pk is None or not two_factor_enabled(user=obj):
            return _("off")
        url = reverse("admin:accounts_user_two_factor_reset", args=[obj.pk])
        state = _("on (%(n)d recovery codes left)") % {"n": recovery_codes_left(user=obj)}
        return format_html('{} · <a href="{}">{}</a>', state, url, _("reset"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            referral_code_issue(user=obj)  # staff-made accounts share links like everyone

    def get_urls(self):
        urls = [
            path("<int:user_id>/sponsor/", self.admin_site.admin_view(self.sponsor_view),
                 name="accounts_user_sponsor"),
            path("<int:user_id>/withdrawal-address/", self.admin_site.admin_view(self.withdrawal_address_view),
                 name="accounts_user_withdrawal_address"),
            path("<int:user_id>/two-factor/reset/", self.admin_site.admin_view(self.two_factor_reset_view),
                 name="accounts_user_two_factor_reset"),
        ]
        return urls + super().get_urls()

    def sponsor_view(self, request, user_id: int):
        """Move a member and their downline under another sponsor, through the audited service."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        member = get_object_or_404(User, pk=user_id)
        form = SponsorChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                change = user_sponsor_change(
                    user=member, new_sponsor=form.cleaned_data["new_sponsor"], changed_by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except PhonixError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Sponsor changed; %(n)d members moved.") % {"n": change.moved_members})
                return redirect("admin:accounts_user_change", member.pk)
        context = {
            **self.admin_site.each_context(request), "title": _("Change sponsor of %(user)s") % {"user": member},
            "member": member, "form": form, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/sponsor_change.html", context)

    def two_factor_reset_view(self, request, user_id: int):
        """Remove a member's authenticator and recovery codes (lost phone), audited and e-mailed."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        member = get_object_or_404(User, pk=user_id)
        form = TwoFactorResetForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                two_factor_reset(member=member, actor=request.user, reason=form.cleaned_data["reason"])
            except PhonixError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Two-factor authentication of %(user)s was reset; they were told by "
                                            "e-mail.") % {"user": member})
                return redirect("admin:accounts_user_change", member.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reset two-factor authentication of %(user)s") % {"user": member},
            "member": member, "form": form, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/two_factor_reset.html", context)


    def withdrawal_address_view(self, request, user_id: int):
        """Change a member's withdrawal address through the member's own service, with a reason."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        member = get_object_or_404(User, pk=user_id)
        form = StaffWithdrawalAddressForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                withdrawal_address_set(user=member, address=form.cleaned_data["address"], changed_by=request.user,
                                       reason=form.cleaned_data["reason"])
            except PhonixError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Withdrawal address changed; the member was e-mailed and withdrawals "
                                            "are held for the cooldown."))
                return redirect("admin:accounts_user_change", member.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change the withdrawal address of %(user)s") % {"user": member},
            "member": member, "form": form, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/withdrawal_address_change.html", context)


@admin.register(SponsorChange)
class SponsorChangeAdmin(ReadOnlyAdmin[SponsorChange]):
    list_display = ("created_at", "user", "old_sponsor", "new_sponsor", "moved_members", "changed_by", "reason")
    list_select_related = ("user", "old_sponsor", "new_sponsor", "changed_by")
    search_fields = ("user__username", "reason")
    readonly_fields = [f.name for f in SponsorChange._meta.fields]
