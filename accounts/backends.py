"""Authentication backends: lockout first, then username-or-email with a password."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend

from .models import User
from .selectors import user_by_login


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
        user = user_by_login(login=username)
        if user is None:
            # Spend the time of a hash anyway, so that timing does not tell which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request, credentials: dict | None) -> str | None:
    """What django-axes counts failures under (AXES_USERNAME_CALLABLE): the member the login names.

    Sign-in accepts the username in any letter case or the e-mail address, so counting the login
    as typed would give an attacker a fresh allowance per spelling. A login that names nobody is
    counted under its trimmed, lower-cased form.
    """
    if credentials is not None:
        login = credentials.get("username")
    else:
        login = getattr(request, "POST", {}).get("username")
    if not isinstance(login, str):
        return None
    user = user_by_login(login=login)
    return user.username if user is not None else login.strip().lower()
