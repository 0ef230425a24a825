"""Referral codes: short, unambiguous, random.

A code is spelt in an alphabet without 0/O, 1/I/L. New codes are 10 random characters (about 50
bits), so that codes cannot be walked to list members; the database keeps them unique. Codes
issued before that were 8 characters derived from the member's id; they keep working.
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
LEGACY_LENGTH = 8
CODE_RE = re.compile(rf"^(?:[{ALPHABET}]{{{LENGTH}}}|[{ALPHABET}]{{{LEGACY_LENGTH}}})$")


def referral_code_new() -> str:
    """A fresh random code (unique in practice; the unique constraint has the last word)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def referral_codes_new(count: int) -> list[str]:
    """`count` distinct fresh codes, for bulk seeding."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(referral_code_new())
    return list(codes)


def referral_code_normalise(raw: str) -> str:
    """Upper-case and strip spaces and dashes, the usual ways people copy a code."""
    return re.sub(r"[\s-]", "", raw or "").upper()


def referral_code_is_wellformed(code: str) -> bool:
    return bool(CODE_RE.match(code))
