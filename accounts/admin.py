from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username", "email", "referred_by", "direct_referrals_count", "total_invested",
        "total_earnings", "is_active_investor", "is_staff", "joined_at",
    )
    list_filter = ("is_active_investor", "is_staff", "is_active")
    search_fields = ("username", "email", "referral_code")
    list_select_related = ("referred_by",)
    raw_id_fields = ("referred_by",)
    readonly_fields = ("total_invested", "total_earnings", "direct_referrals_count", "referred_by")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            "Phonix",
            {
                "fields": (
                    "referral_code", "referred_by", "direct_referrals_count", "total_invested",
                    "total_earnings", "is_active_investor", "trc20_wallet_address",
                    "withdrawal_address_changed_at", "joined_at",
                )
            },
        ),
    )
