from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from phonix.admin import ReadOnlyAdmin

from .models import MemberVolume, Rank, RankAchievement, WeeklyBonus
from .selectors import coming_week_bonus_total, rank_distribution


# Ranks, volumes and bonuses are written by the rank jobs only; staff read them here.
@admin.register(Rank)
class RankAdmin(ReadOnlyAdmin[Rank]):
    change_list_template = "ranks/admin/rank_change_list.html"
    list_display = ("user", "current_rank", "main_leg_volume", "other_legs_volume", "weekly_bonus_amount",
                    "weeks_remaining", "last_paid_week", "rank_achieved_at", "last_rank_check")
    list_filter = ("current_rank",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("-main_leg_volume",)
    show_full_result_count = False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "rank_distribution": rank_distribution(),
            "coming_week": coming_week_bonus_total(),
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(RankAchievement)
class RankAchievementAdmin(ReadOnlyAdmin[RankAchievement]):
    list_display = ("user", "rank", "main_leg_volume", "other_legs_volume", "weekly_bonus_amount",
                    "achieved_at")
    list_filter = ("rank",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    date_hierarchy = "achieved_at"


@admin.register(WeeklyBonus)
class WeeklyBonusAdmin(ReadOnlyAdmin[WeeklyBonus]):
    list_display = ("user", "iso_week", "rank", "amount", "paid_amount", "capped_amount",
                    "ledger_transaction")
    list_filter = ("iso_week", "rank")
    list_select_related = ("user", "ledger_transaction")
    search_fields = ("user__username",)


@admin.register(MemberVolume)
class MemberVolumeAdmin(ReadOnlyAdmin[MemberVolume]):
    list_display = ("user", "personal_volume", "group_volume")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    ordering = ("-group_volume",)
    show_full_result_count = False
