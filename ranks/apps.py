from django.apps import AppConfig


class RanksConfig(AppConfig):
    name = "ranks"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
