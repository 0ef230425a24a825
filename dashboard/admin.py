from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Announcement, Notification


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "audience", "pinned", "publish_from", "publish_until", "is_live", "created_by")
    list_filter = ("audience", "pinned")
    list_select_related = ("created_by",)
    search_fields = ("title", "title_zh")
    date_hierarchy = "publish_from"
    fieldsets = (
        (None, {"fields": ("title", "body")}),
        (_("Chinese"), {"fields": ("title_zh", "body_zh")}),
        (_("Publishing"), {"fields": ("audience", "pinned", "publish_from", "publish_until")}),
    )

    @admin.display(boolean=True, description=_("shown now"))
    def is_live(self, announcement: Announcement) -> bool:
        now = timezone.now()
        return announcement.publish_from <= now and (announcement.publish_until is None
                                                     or announcement.publish_until > now)

    def save_model(self, request, obj: Announcement, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Written by the events themselves; staff read them to answer a member's question."""

    list_display = ("created_at", "user", "kind", "read_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    readonly_fields = ("user", "kind", "params", "key", "created_at", "read_at")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
