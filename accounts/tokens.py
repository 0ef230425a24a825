"""App tokens for the JSON API (django-rest-knox): stored hashed, expiring, revocable by the member."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from phonix.exceptions import NotFound, PhonixError

from .models import User


class TokenLimitReached(PhonixError):
    """The member holds as many live tokens as allowed; one must be revoked first."""


def api_tokens_live(*, user: User) -> QuerySet[AuthToken]:
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new token for `user`: the instance (stored as a digest) and the token text, shown once."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()  # one count at a time
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    limit = settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]
    if AuthToken.objects.filter(user=user).count() >= limit:
        raise TokenLimitReached(_("You have %(limit)d app tokens already; revoke one first.") % {"limit": limit})
    return AuthToken.objects.create(user=user)


def api_token_revoke(*, user: User, token_key: str) -> None:
    """Revoke one of the member's own tokens, named by its public prefix (`token_key`)."""
    deleted, _rows = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise NotFound(_("You have no token with that key."))
