from django.contrib import admin

from phonix.admin import ReadOnlyAdmin

from .models import Commission, DailyIncomeRun


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin[Commission]):
    list_display = ("id", "commission_type", "user", "from_user", "level", "amount", "capped_amount", "skip_reason",
                    "source_subscription_id", "plan_version_id", "payout_date", "paid_at")
    list_filter = ("commission_type", "skip_reason", "level")
    list_select_related = ("user", "from_user")
    search_fields = ("user__username", "from_user__username", "=source_subscription__id")
    date_hierarchy = "paid_at"
    show_full_result_count = False  # millions of rows: no COUNT(*) per page


@admin.register(DailyIncomeRun)
class DailyIncomeRunAdmin(ReadOnlyAdmin[DailyIncomeRun]):
    list_display = ("payout_date", "started_at", "finished_at", "paid_count", "paid_total", "capped_total")
    date_hierarchy = "payout_date"
