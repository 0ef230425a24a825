from django.apps import AppConfig


class MiningConfig(AppConfig):
    name = "mining"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
