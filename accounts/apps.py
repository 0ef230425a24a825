from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.contrib import admin
        from django_otp.admin import OTPAdminSite

        # Staff reach the admin only from a session verified with a second factor
        # (their TOTP app or a recovery code); members enrol at /accounts/security/.
        admin.site.__class__ = OTPAdminSite

        from . import receivers

        receivers.connect()
