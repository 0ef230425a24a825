"""Writes to members and to the referral tree (the only module that changes the tree)."""

from django.db import transaction
from django.db.models import F

from .models import User


@transaction.atomic
def user_create(*, username: str, email: str, password: str | None, sponsor: User | None = None,
                **extra) -> User:
    """Create a member under `sponsor`, keeping upline_ids, depth and the sponsor's count right."""
    user = User(username=username, email=email, referred_by=sponsor, **extra)
    if sponsor is not None:
        user.upline_ids = [sponsor.pk, *sponsor.upline_ids]
        user.depth = sponsor.depth + 1
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    if sponsor is not None:
        User.objects.filter(pk=sponsor.pk).update(direct_referrals_count=F("direct_referrals_count") + 1)
    return user
