from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PhonixConfig(AppConfig):
    name = "phonix"

    def ready(self) -> None:
        from .db_roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="phonix-app-role-grant")
