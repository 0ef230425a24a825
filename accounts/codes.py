"""Referral codes: short, unambiguous, unique by construction.

A code is the member's id run through a fixed permutation of the 8-character code space, spelt
in an alphabet without 0/O, 1/I/L, so that codes are unique without a retry loop and can be
issued in the same statement that creates the member. Codes are shared publicly on purpose;
nothing depends on them being secret.
"""

import re

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
_SPACE = len(ALPHABET) ** LENGTH
# Multiplier coprime with the size of the space (a power of 31), so the map is a bijection.
_MULTIPLIER = 387_420_489
_OFFSET = 91_276_407_713
CODE_RE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def referral_code_for(user_id: int) -> str:
    """The referral code of the member with this id."""
    value = (user_id * _MULTIPLIER + _OFFSET) % _SPACE
    chars = []
    for _ in range(LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def referral_code_normalise(raw: str) -> str:
    """Upper-case and strip spaces and dashes, the usual ways people copy a code."""
    return re.sub(r"[\s-]", "", raw or "").upper()


def referral_code_is_wellformed(code: str) -> bool:
    return bool(CODE_RE.match(code))
