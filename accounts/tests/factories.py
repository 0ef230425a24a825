import factory

from accounts.models import User
from accounts.services import user_create


class UserFactory(factory.django.DjangoModelFactory):
    """A member placed in the tree through the one service that changes it."""

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

    return re.search(r"/accounts/email/confirm/([^/\s]+)/", message.body).group(1)


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

    user = UserFactory(**fields)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh row: Django caches permissions per instance
