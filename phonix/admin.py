from typing import TypeVar

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from phonix.models import AuditLog, StuckItem

Row = TypeVar("Row", bound=models.Model)


class ReadOnlyAdmin(admin.ModelAdmin[Row]):
    """Rows that only code writes (the ledger, payouts, jobs, audit): staff read them and never add,
    edit or delete one; corrections go through a service."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Row | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Row | None = None) -> bool:
        return False


@admin.register(StuckItem)
class StuckItemAdmin(admin.ModelAdmin):
    """Read-only: jobs write and clear these rows; staff look at them to see what needs a hand."""

    list_display = ("job", "item_id", "reason", "attempts", "first_seen_at", "last_seen_at")
    list_filter = ("job",)
    search_fields = ("item_id", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StaffMemberFilter(admin.SimpleListFilter):
    title = _("staff member")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        staff = get_user_model().objects.filter(is_staff=True).order_by("username").values_list("pk", "username")
        return [(str(pk), username) for pk, username in staff]

    def queryset(self, request, queryset):
        return queryset.filter(actor_id=self.value()) if self.value() else queryset


class MemberFilter(admin.SimpleListFilter):
    """By member id (`?member=ID`, linked from the member's page): a list of every member would
    be as long as the membership, so the sidebar only shows the member chosen."""

    title = _("member")
    parameter_name = "member"

    def lookups(self, request, model_admin):
        # The admin applies only filters that show a choice, so the chosen one is always listed.
        value = self.value() or ""
        if not value:
            return []
        name = value.isdigit() and get_user_model().objects.filter(pk=value).values_list("username", flat=True).first()
        return [(value, name or f"#{value}")]

    def queryset(self, request, queryset):
        value = self.value() or ""
        if not value:
            return queryset
        return queryset.filter(member_id=value) if value.isdigit() else queryset.none()


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin[AuditLog]):
    """Read-only everywhere: rows are written by the actions themselves, never by hand."""

    list_display = ("created_at", "action", "actor", "member", "target", "reason", "before", "after")
    list_filter = ("action", StaffMemberFilter, MemberFilter)
    list_select_related = ("actor", "member")
    search_fields = ("actor__username", "member__username", "member__email", "target", "reason")
    date_hierarchy = "created_at"
    show_full_result_count = False
