from django.apps import AppConfig


class PhonixConfig(AppConfig):
    name = "phonix"
