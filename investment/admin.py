from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from phonix.admin import ReadOnlyAdmin
from phonix.auth import signed_in_user

from .models import PlanVersion, Subscription


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin[PlanVersion]):
    """Versions are never edited in place: saving a change writes a new version, which becomes
    the plan in force; purchases and payouts keep pointing at the version they used."""

    list_display = ("__str__", "minimum_amount", "tier_1_rate", "tier_2_rate", "tier_3_rate", "cap_multiple",
                    "directs_must_be_investors", "mining_required_for_daily_income", "created_by", "created_at")
    list_select_related = ("created_by",)
    readonly_fields = ("created_by", "created_at")
    fieldsets = (
        (None, {"fields": ("note",)}),
        (_("Subscriptions"), {"fields": ("minimum_amount", ("tier_1_max", "tier_1_rate"),
                                         ("tier_2_max", "tier_2_rate"), "tier_3_rate", "cap_multiple")}),
        (_("Generation income"), {"fields": ("generation_rates", "generation_directs",
                                             "directs_must_be_investors")}),
        (_("Mining sessions"), {"fields": ("mining_session_hours", ("mining_free_reward", "mining_free_limit"),
                                           "mining_required_for_daily_income")}),
        (None, {"fields": ("created_by", "created_at")}),
    )

    def save_model(self, request: HttpRequest, obj: PlanVersion, form: Any, change: bool) -> None:
        from .services import PLAN_FIELDS, plan_version_create

        version = plan_version_create(
            created_by=signed_in_user(request), note=form.cleaned_data.get("note", ""),
            **{name: form.cleaned_data[name] for name in PLAN_FIELDS},
        )
        obj.pk, obj.created_by, obj.created_at = version.pk, version.created_by, version.created_at

    def has_delete_permission(self, request: HttpRequest, obj: PlanVersion | None = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin[Subscription]):  # purchases go through the purchase service
    list_display = ("id", "user", "amount", "tier", "monthly_rate", "total_earned", "earnings_cap", "is_active",
                    "bonus_used", "plan_version", "started_at", "generation_paid_at")
    list_filter = ("tier", "is_active", "plan_version")
    list_select_related = ("user", "plan_version")
    search_fields = ("user__username", "user__email", "=id")
    date_hierarchy = "started_at"
    raw_id_fields = ("user",)
