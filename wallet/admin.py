"""The ledger in the admin: read-only everywhere; corrections only through balance_adjust."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from phonix.admin import ReadOnlyAdmin
from phonix.auth import signed_in_user
from phonix.exceptions import PhonixError
from phonix.forms import AmountField

from .ledger.adjustments import balance_adjust
from .models import LedgerAccount, LedgerEntry, LedgerTransaction, Transaction


class AdjustmentForm(forms.Form):
    amount = AmountField(
        label=_("Amount (USDT)"), allow_negative=True,
        help_text=_("Positive credits the account, negative debits it."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin[LedgerAccount]):
    list_display = ("id", "user", "code", "balance", "created_at")
    list_filter = ("code",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    show_full_result_count = False
    actions = ["adjust_balance"]

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return signed_in_user(request).has_perm("wallet.adjust_balance")

    @admin.action(description=_("Adjust the balance of the selected member accounts…"), permissions=["adjust"])
    def adjust_balance(self, request: HttpRequest, queryset: QuerySet[LedgerAccount]) -> TemplateResponse | None:
        accounts = list(queryset.filter(user__isnull=False).select_related("user"))
        if not accounts:
            self.message_user(request, _("Only member accounts can be adjusted."), messages.ERROR)
            return None
        form = AdjustmentForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                with transaction.atomic():  # all selected accounts or none
                    for account in accounts:
                        assert account.user_id is not None  # only member accounts were selected
                        balance_adjust(
                            user_id=account.user_id, code=account.code, amount=form.cleaned_data["amount"],
                            reason=form.cleaned_data["reason"], created_by_id=signed_in_user(request).pk,
                        )
            except PhonixError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request, _("Adjusted %(count)d account(s).") % {"count": len(accounts)}, messages.SUCCESS
                )
                return None
        return TemplateResponse(
            request, "admin/wallet/adjust_balance.html",
            {**self.admin_site.each_context(request), "title": _("Adjust balances"), "form": form,
             "accounts": accounts, "opts": self.model._meta,
             "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME},
        )


class LedgerEntryInline(admin.TabularInline[LedgerEntry, LedgerTransaction]):
    model = LedgerEntry
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: LedgerTransaction | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("account__user")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin[LedgerTransaction]):
    list_display = ("id", "kind", "idempotency_key", "memo", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "memo")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    inlines = [LedgerEntryInline]
    show_full_result_count = False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin[Transaction]):
    list_display = ("id", "user", "type", "amount", "fee", "net_amount", "status", "txn_hash", "created_at")
    list_filter = ("type", "status")
    search_fields = ("user__username", "user__email", "txn_hash", "description")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False


from .custody import admin as custody_admin  # noqa: E402,F401  (custody admin classes register themselves)
