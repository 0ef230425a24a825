from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from phonix.admin import ReadOnlyAdmin

from .models import AsicMiner, MiningSession, NetworkSnapshot
from .selectors import mining_daily_totals


@admin.register(AsicMiner)
class AsicMinerAdmin(admin.ModelAdmin):
    list_display = ("maker", "model", "hashrate_ths", "power_w", "efficiency_j_th", "year", "verified",
                    "updated_at")
    list_filter = ("maker", "verified", "year")
    list_editable = ("verified",)
    search_fields = ("maker", "model")
    ordering = ("maker", "model")


@admin.register(NetworkSnapshot)
class NetworkSnapshotAdmin(admin.ModelAdmin):
    """Written only by the market data refresh; staff read it to see what the calculator used."""

    list_display = ("bucket", "btc_price_usd", "difficulty", "network_hashrate", "avg_fees_btc", "height",
                    "stale")
    date_hierarchy = "bucket"
    ordering = ("-bucket",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RunningFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("running", _("Running")), ("completed", _("Completed"))]

    def queryset(self, request, queryset):
        if self.value() == "running":
            return queryset.filter(completed_at__isnull=True)
        if self.value() == "completed":
            return queryset.filter(completed_at__isnull=False)
        return queryset


class MemberFilter(admin.SimpleListFilter):
    """By member, from a link (`?member=<id>`): a list of every member would not fit on the page."""

    title = _("member")
    parameter_name = "member"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name, "")
        if not value.isdigit():
            return []
        member = get_user_model().objects.filter(pk=int(value)).values_list("pk", "username").first()
        return [(str(member[0]), member[1])] if member else []

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(user_id=int(value)) if value and value.isdigit() else queryset


@admin.register(MiningSession)
class MiningSessionAdmin(ReadOnlyAdmin[MiningSession]):
    """Written only by the start and completion services; staff read them and the daily totals."""

    change_list_template = "admin/mining/miningsession/change_list.html"
    list_display = ("id", "member_link", "started_at", "ends_at", "completed_at", "outcome", "reward",
                    "plan_version")
    list_filter = (RunningFilter, "outcome", MemberFilter, ("started_at", admin.DateFieldListFilter))
    list_select_related = ("user", "plan_version")
    search_fields = ("user__username", "user__email", "=id")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")
    show_full_result_count = False

    @admin.display(description=_("member"), ordering="user__username")
    def member_link(self, obj):
        url = reverse("admin:mining_miningsession_changelist") + f"?member={obj.user_id}"
        return format_html('<a href="{}">{}</a>', url, obj.user.username)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        if not isinstance(response, SimpleTemplateResponse) or response.context_data is None:
            return response  # a redirect, as after an action
        changelist = response.context_data.get("cl")
        if changelist is not None:
            response.context_data["daily_totals"] = mining_daily_totals(sessions=changelist.queryset)
        return response
