"""Authentication backends: lockout first, then username-or-email with a password."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend

from .models import User


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request.

    Every login form passes the request; a call without one (the shell, the test client's
    login()) has no address to lock by, so it is left to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with the username or the email address, either in any letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        login = username.strip()
        user = None
        if "@" in login:
            user = User.objects.filter(email__iexact=login).first()
        if user is None:  # registration keeps "@" out of usernames, staff-made ones may have it
            user = User.objects.filter(username__iexact=login).first()
        if user is None:
            # Spend the time of a hash anyway, so that timing does not tell which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
