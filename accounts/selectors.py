"""Reads of members and the referral tree — no recursion in Python."""

from .models import User

MAX_LEVELS = 20


def user_upline(*, user: User, levels: int = MAX_LEVELS) -> list[User]:
    """The sponsors above `user`, nearest first (index 0 = level 1), in one query."""
    ids = user.upline_ids[:levels]
    by_id = User.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]
