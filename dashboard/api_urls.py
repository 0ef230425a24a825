"""The dashboard's part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("export/", apis.ExportView.as_view(), name="export"),
    path("dashboard/", apis.DashboardView.as_view(), name="dashboard"),
    path("announcements/", apis.AnnouncementsView.as_view(), name="announcements"),
    path("announcements/read/", apis.AnnouncementsReadView.as_view(), name="announcements_read"),
    path("notifications/", apis.NotificationsView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", apis.NotificationReadView.as_view(), name="notification_read"),
    path("notifications/read-all/", apis.NotificationsReadAllView.as_view(), name="notifications_read_all"),
]
