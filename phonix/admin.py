from django.contrib import admin

from phonix.models import StuckItem


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
