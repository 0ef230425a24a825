import factory

from accounts.models import User
from accounts.services import user_create


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A member placed in the tree through the one service that changes it.

    Typed code calls `UserFactory.create(...)`, which mypy knows returns a User.
    """

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = "correct-horse-battery"
    sponsor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(**kwargs)


SITE = "http://testserver/"


def link_token(message) -> str:
    """The token of the confirmation link in an e-mail."""
    import re

    link = re.search(r"/accounts/email/confirm/([^/\s]+)/", message.body)
    assert link is not None, message.body
    return link.group(1)


def verified_login(client, user) -> None:
    """Log `user` in with a second factor recorded in the session, as the admin requires of staff."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="authenticator", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def staff_member(*permissions: str, **fields) -> User:
    """A staff account holding exactly `permissions` ("app_label.codename"), as a role would give."""
    from django.contrib.auth.models import Permission

    user = UserFactory.create(**fields)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh row: Django caches permissions per instance


def api_client(user=None, **extra):
    """A JSON API client; with `user`, it carries a fresh app token of theirs."""
    from rest_framework.test import APIClient

    from accounts.tokens import api_token_issue

    client = APIClient(**extra)
    if user is not None:
        _instance, token = api_token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def totp_code(device, shift: int = 0) -> str:
    """The code `device`'s authenticator app shows now (or `shift` time steps later)."""
    from django.utils import timezone
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + shift * device.step
    return f"{totp.token():0{device.digits}d}"


def two_factor_member(**fields):
    """A member with a confirmed authenticator; the confirming code is spent (use shift=1)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import two_factor_begin, two_factor_confirm

    user = UserFactory(**fields)
    device = two_factor_begin(user=user)
    two_factor_confirm(user=user, device_id=device.pk, token=totp_code(device))
    return user, TOTPDevice.objects.get(pk=device.pk)
