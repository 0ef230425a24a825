from django import template
from django.utils.html import linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from dashboard.texts import NotificationText, notification_text

register = template.Library()


@register.filter
def plain_text_html(text: str) -> SafeString:
    """Staff-written plain text as paragraphs with its web addresses linked; any markup is escaped."""
    linked = urlize(text, nofollow=True, autoescape=True)  # escapes everything that is not a link
    return mark_safe(linebreaks(linked, autoescape=False))


@register.filter
def announcement_title(announcement) -> str:
    return announcement.title_in(get_language() or "")


@register.filter
def announcement_body(announcement) -> SafeString:
    return plain_text_html(announcement.body_in(get_language() or ""))


@register.filter
def notification_texts(notification) -> NotificationText:
    return notification_text(notification)
