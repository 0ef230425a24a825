from django.apps import AppConfig


class EarningsConfig(AppConfig):
    name = "earnings"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
