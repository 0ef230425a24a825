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
