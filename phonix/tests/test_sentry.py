"""Events sent through sentry-sdk, as in production, arrive with every secret removed."""

import json
import logging

import pytest
import sentry_sdk
from cryptography.fernet import Fernet
from sentry_sdk.transport import Transport

from phonix.sentry import FILTERED, scrub, sentry_options

MNEMONIC = ("legal winner thank year wave sausage worth useful legal winner thank yellow "
            "abandon ability able about")
PRIVATE_KEY = "8e812436a0e3323166e1f0e8ba79e19e217b2c4a53c970d4cca0cfb1078979df"
FERNET_KEY = Fernet.generate_key().decode()
TOTP_SECRET_B32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DB_PASSWORD = "s3cr3t-Pa55word"


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def sent(self) -> str:
        return "\n".join(item.get_bytes().decode() for env in self.envelopes for item in env.items)


@pytest.fixture
def transport():
    capturing = CapturingTransport()
    sentry_sdk.init(**sentry_options(dsn="https://public@sentry.example.com/1", environment="test"),
                    transport=capturing)
    yield capturing
    sentry_sdk.init()  # no DSN: events go nowhere again


SECRETS = [
    MNEMONIC, MNEMONIC.upper(), MNEMONIC.title(), PRIVATE_KEY, "0x" + PRIVATE_KEY.upper(), FERNET_KEY,
    TOTP_SECRET_B32, " ".join(TOTP_SECRET_B32[i:i + 4] for i in range(0, 32, 4)), TOTP_KEY_HEX,
    f"postgres://phonix:{DB_PASSWORD}@db.internal:5432/phonix",
    f"otpauth://totp/Phonix:alice?secret={TOTP_SECRET_B32}&issuer=Phonix",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_an_exception_message_carrying_a_secret_reaches_sentry_without_it(transport, secret):
    try:
        raise RuntimeError(f"signing failed with {secret} for withdrawal 42")
    except RuntimeError as error:
        sentry_sdk.capture_exception(error)
    sentry_sdk.flush()
    sent = transport.sent()
    assert "withdrawal 42" in sent  # the event itself did arrive
    assert FILTERED in sent
    for part in (secret, PRIVATE_KEY, DB_PASSWORD, TOTP_SECRET_B32, "sausage worth useful"):
        assert part.lower() not in sent.lower()


def test_messages_breadcrumbs_contexts_and_word_lists_are_scrubbed(transport):
    logging.getLogger("phonix.test").warning("loaded key file with %s", FERNET_KEY)
    sentry_sdk.set_context("signer", {"words": MNEMONIC.split(), "note": str(MNEMONIC.upper().split()),
                                      "url": f"redis://:{DB_PASSWORD}@cache:6379/0"})
    sentry_sdk.set_extra("hot", "0x" + PRIVATE_KEY)
    sentry_sdk.capture_message(f"database at postgres://phonix:{DB_PASSWORD}@db/phonix unreachable")
    sentry_sdk.flush()
    sent = transport.sent()
    event = json.loads(transport.envelopes[-1].items[0].get_bytes())
    assert "postgres://phonix:[Filtered]@db/phonix unreachable" in sent
    assert event["contexts"]["signer"]["words"] == FILTERED
    assert event["contexts"]["signer"]["url"] == "redis://:[Filtered]@cache:6379/0"
    for part in (FERNET_KEY, PRIVATE_KEY, DB_PASSWORD, "sausage", "SAUSAGE"):
        assert part not in sent


def test_ordinary_text_and_short_word_runs_are_kept():
    text = "able about above absent absorb abstract absurd abuse access accident"  # ten words only
    cleaned = scrub({"message": text, "amount": "5.000000", "txn": "withdrawal 7 failed: OUT_OF_ENERGY",
                     "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "url": "https://example.com/a:b"})
    assert cleaned == {"message": text, "amount": "5.000000", "txn": "withdrawal 7 failed: OUT_OF_ENERGY",
                       "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "url": "https://example.com/a:b"}
