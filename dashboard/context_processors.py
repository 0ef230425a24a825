"""The navbar's unread counts: one small query, run only by a page that shows them."""

from django.utils.functional import SimpleLazyObject

from .selectors import unread_counts


def unread(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread": SimpleLazyObject(lambda: unread_counts(user=user))}
