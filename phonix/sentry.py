"""Sentry set-up: no personal data, and nothing that looks like a secret leaves the process."""

import re
from functools import cache
from pathlib import Path

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

SECRET_NAME = re.compile(
    r"pass|secret|token|key|mnemonic|seed|private|signature|auth|cookie|session|otp|xprv|dsn", re.I
)
FILTERED = "[Filtered]"
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
SECRET_VALUE = re.compile(
    "|".join([
        # Private keys: 64 hex digits, bare or 0x-prefixed; extended private keys.
        rf"{_EDGE_BEFORE}(?:0[xX])?[0-9a-fA-F]{{64}}{_EDGE_AFTER}",
        r"[xtyz]prv[1-9A-HJ-NP-Za-km-z]{20,}",
        # A Fernet key (32 bytes, url-safe base64) and Fernet tokens (the key file's content).
        rf"{_EDGE_BEFORE}[A-Za-z0-9_-]{{43}}={_EDGE_AFTER}",
        r"gAAAAA[A-Za-z0-9_=-]{20,}",
        # TOTP secrets: django-otp's 40-hex key, base32 (grouped by four as the security page shows
        # it, or not), and otpauth:// links that carry them.
        rf"{_EDGE_BEFORE}[0-9a-fA-F]{{40}}{_EDGE_AFTER}",
        rf"{_EDGE_BEFORE}[A-Z2-7]{{32}}{_EDGE_AFTER}",
        rf"{_EDGE_BEFORE}(?:[A-Z2-7]{{4}} ){{3,}}[A-Z2-7]{{4}}{_EDGE_AFTER}",
        r"otpauth://\S+",
    ])
)
# The password of a URL's user-info part: postgres://user:PASSWORD@host/…
URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)")
WORD = re.compile(r"[A-Za-z]+")
# Between two words of a mnemonic: spaces, or the quotes and commas of a printed list.
WORD_GAP = re.compile(r"[\s,'\"\[\]()]*")
MNEMONIC_MIN_WORDS = 12


@cache
def bip39_words() -> frozenset[str]:
    import bip_utils

    path = Path(bip_utils.__file__).parent / "bip" / "bip39" / "wordlist" / "english.txt"
    return frozenset(path.read_text().split())


def _mnemonics_hide(text: str) -> str:
    """Replace every run of 12 or more BIP39 words (any letter case, any list punctuation)."""
    words = bip39_words()
    spans: list[tuple[int, int]] = []
    run: list[re.Match[str]] = []
    for match in WORD.finditer(text):
        joined = run and WORD_GAP.fullmatch(text, run[-1].end(), match.start())
        if match.group().lower() in words:
            run = [*run, match] if joined else [match]
            continue
        if len(run) >= MNEMONIC_MIN_WORDS:
            spans.append((run[0].start(), run[-1].end()))
        run = []
    if len(run) >= MNEMONIC_MIN_WORDS:
        spans.append((run[0].start(), run[-1].end()))
    for start, end in reversed(spans):
        text = text[:start] + FILTERED + text[end:]
    return text


def _scrub_text(text: str) -> str:
    text = URL_PASSWORD.sub(rf"\g<head>{FILTERED}", text)
    text = SECRET_VALUE.sub(FILTERED, text)
    return _mnemonics_hide(text)


def _is_word_list(value: list | tuple) -> bool:
    words = bip39_words()
    return len(value) >= MNEMONIC_MIN_WORDS and all(
        isinstance(item, str) and item.strip().lower() in words for item in value
    )


def scrub(value):
    """Return a copy of `value` with secret-looking keys and values replaced."""
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and SECRET_NAME.search(key) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return FILTERED if _is_word_list(value) else [scrub(item) for item in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def before_send(event, hint):
    return scrub(event)


def sentry_options(*, dsn: str, environment: str) -> dict:
    return {
        "dsn": dsn,
        "environment": environment,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        # No personal data: left unset, sentry-sdk sends none (send_default_pii is deprecated).
        "include_local_variables": False,
        "before_send": before_send,
        "before_send_transaction": before_send,
        "before_breadcrumb": lambda crumb, hint: scrub(crumb),
    }


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(**sentry_options(dsn=dsn, environment=environment))
