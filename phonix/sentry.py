"""Sentry set-up: no personal data, and nothing that looks like a secret leaves the process."""

import re

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

SECRET_NAME = re.compile(
    r"pass|secret|token|key|mnemonic|seed|private|signature|auth|cookie|session|otp|xprv", re.I
)
# A BIP39 mnemonic (12+ lowercase words) or a 64-hex private key inside any string value.
SECRET_VALUE = re.compile(r"\b(?:[a-z]{3,8}\s+){11,23}[a-z]{3,8}\b|\b[0-9a-fA-F]{64}\b|xprv\w+")
FILTERED = "[Filtered]"


def scrub(value):
    """Return a copy of `value` with secret-looking keys and values replaced."""
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and SECRET_NAME.search(key) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return SECRET_VALUE.sub(FILTERED, value)
    return value


def before_send(event, hint):
    return scrub(event)


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        before_send=before_send,
        before_send_transaction=before_send,
    )
