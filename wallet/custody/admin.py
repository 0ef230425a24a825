"""Custody in the admin: withdrawals to approve or reject, deposits, signed transfers, sweeps."""

from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from phonix.admin import ReadOnlyAdmin
from phonix.auth import signed_in_user
from phonix.exceptions import PhonixError

from ..models import ChainTransfer, CustodyPolicy, Deposit, DepositAddress, DepositSweep, Withdrawal


class _ApprovalCount(TypedDict):
    _approvals: int


if TYPE_CHECKING:  # Python 3.11 cannot subscript the alias with two arguments at run time
    from django_stubs_ext import WithAnnotations

    CountedWithdrawal = WithAnnotations[Withdrawal, _ApprovalCount]


class ChainTransferInline(admin.TabularInline[ChainTransfer, Withdrawal]):
    model = ChainTransfer
    fields = ("attempt", "txid", "state", "broadcast_count", "last_broadcast_code", "block_number",
              "receipt_result", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Withdrawal | None = None) -> bool:
        return False


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin[Withdrawal]):
    list_display = ("id", "user", "amount", "fee", "net_amount", "address", "status", "approvals_given",
                    "approvals_required", "txid", "created_at")
    list_filter = ("status", "approvals_required")
    search_fields = ("user__username", "user__email", "address", "txid")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    inlines = [ChainTransferInline]
    actions = ["approve", "reject"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> "QuerySet[CountedWithdrawal]":
        return super().get_queryset(request).annotate(_approvals=Count("approvals"))

    @admin.display(description=_("approvals"), ordering="_approvals")
    def approvals_given(self, obj: "CountedWithdrawal") -> int:
        return obj._approvals

    def has_view_permission(self, request: HttpRequest, obj: Withdrawal | None = None) -> bool:
        return signed_in_user(request).is_staff

    def has_approve_permission(self, request: HttpRequest) -> bool:
        from .withdrawals import APPROVE_PERMISSION

        return signed_in_user(request).has_perm(APPROVE_PERMISSION)

    @admin.action(description=_("Approve the selected withdrawals"), permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        from .withdrawals import withdrawal_approve

        done = refused = 0
        for withdrawal_id in queryset.values_list("pk", flat=True):
            try:
                withdrawal = withdrawal_approve(withdrawal_id=withdrawal_id, staff=signed_in_user(request))
            except PhonixError as error:
                refused += 1
                self.message_user(request, f"#{withdrawal_id}: {error}", messages.ERROR)
            else:
                done += withdrawal.status == Withdrawal.Status.APPROVED
        self.message_user(request, _("%(done)d approved and queued for sending; %(refused)d refused.")
                          % {"done": done, "refused": refused})

    @admin.action(description=_("Reject the selected withdrawals (returns the amount)…"), permissions=["approve"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> TemplateResponse | None:
        """Ask for the reason first: the member reads it on the withdrawal and in the e-mail."""
        from .withdrawals import withdrawal_reject

        withdrawals = list(queryset.select_related("user").order_by("pk"))
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for withdrawal in withdrawals:
                try:
                    withdrawal_reject(withdrawal_id=withdrawal.pk, staff=signed_in_user(request),
                                      reason=form.cleaned_data["reason"])
                    done += 1
                except PhonixError as error:
                    self.message_user(request, f"#{withdrawal.pk}: {error}", messages.ERROR)
            self.message_user(request, _("%(done)d rejected; the amounts were returned.") % {"done": done})
            return None
        return TemplateResponse(
            request, "admin/wallet/reject_withdrawals.html",
            {**self.admin_site.each_context(request), "title": _("Reject withdrawals"), "form": form,
             "withdrawals": withdrawals, "opts": self.model._meta,
             "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME},
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the member)"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
    )


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin[Deposit]):
    list_display = ("id", "user", "amount", "status", "txid", "log_index", "block_number", "created_at",
                    "credited_at")
    list_filter = ("status",)
    search_fields = ("user__username", "txid", "from_address", "deposit_address__address")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(DepositAddress)
class DepositAddressAdmin(ReadOnlyAdmin[DepositAddress]):
    list_display = ("address", "user", "derivation_index", "last_checked", "created_at")
    search_fields = ("address", "user__username")
    list_select_related = ("user",)
    show_full_result_count = False


@admin.register(ChainTransfer)
class ChainTransferAdmin(ReadOnlyAdmin[ChainTransfer]):
    list_display = ("txid", "purpose", "withdrawal", "sweep", "attempt", "state", "broadcast_count",
                    "last_broadcast_code", "block_number", "created_at")
    list_filter = ("purpose", "state")
    search_fields = ("txid",)
    exclude = ("signed_tx",)
    show_full_result_count = False


@admin.register(DepositSweep)
class DepositSweepAdmin(ReadOnlyAdmin[DepositSweep]):
    list_display = ("id", "deposit_address", "amount_units", "status", "failure_reason", "created_at",
                    "completed_at")
    list_filter = ("status",)
    list_select_related = ("deposit_address",)
    show_full_result_count = False


@admin.register(CustodyPolicy)
class CustodyPolicyAdmin(admin.ModelAdmin[CustodyPolicy]):
    """The staff-set rules, and the custody overview: hot wallet, pending withdrawals, chain vs ledger.

    Versions are never edited in place: saving writes a new version (through the audited
    service), which is in force from then on. Changing it takes its own permission.
    """

    list_display = ("__str__", "two_approvals_above", "withdrawal_fee_percent", "withdrawal_minimum",
                    "withdrawal_maximum", "daily_maximum", "deposit_minimum", "created_by", "created_at")
    list_select_related = ("created_by",)
    readonly_fields = ("created_by", "created_at")
    fields = ("two_approvals_above", "withdrawal_fee_percent", "withdrawal_minimum", "withdrawal_maximum",
              "daily_maximum", "deposit_minimum", "note", "created_by", "created_at")
    change_form_template = "admin/wallet/custody_policy_change_form.html"

    def has_add_permission(self, request: HttpRequest, obj: CustodyPolicy | None = None) -> bool:
        from .policy import MANAGE_PERMISSION

        return signed_in_user(request).has_perm(MANAGE_PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: CustodyPolicy | None = None) -> bool:
        return self.has_add_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: CustodyPolicy | None = None) -> bool:
        user = signed_in_user(request)
        return user.is_staff and (self.has_add_permission(request) or user.has_perm("wallet.view_custodypolicy"))

    def has_delete_permission(self, request: HttpRequest, obj: CustodyPolicy | None = None) -> bool:
        return False

    # The stub types initial data as query-string values; the form takes the policy's own values.
    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:  # type: ignore[override]
        from .policy import POLICY_FIELDS, custody_policy_current

        current = custody_policy_current()
        return {name: getattr(current, name) for name in POLICY_FIELDS}

    def save_model(self, request: HttpRequest, obj: CustodyPolicy, form: Any, change: bool) -> None:
        from .policy import POLICY_FIELDS, custody_policy_change

        policy = custody_policy_change(
            changed_by=signed_in_user(request), note=form.cleaned_data.get("note", ""),
            **{name: form.cleaned_data[name] for name in POLICY_FIELDS},
        )
        obj.pk, obj.created_by, obj.created_at = policy.pk, policy.created_by, policy.created_at

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        from .deposits import custody_overview

        extra_context = {**(extra_context or {}), "overview": custody_overview()}
        return super().changeform_view(request, object_id, form_url, extra_context)
