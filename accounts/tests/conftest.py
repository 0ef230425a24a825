import pytest

from accounts.tests.factories import UserFactory
from wallet.tests.conftest import invariants  # noqa: F401  (money tests end with the ledger checks)

# The hand-built tree of 25 members used by the tree tests: name → sponsor name.
TREE_25 = {
    "a": None,
    "b": "a", "c": "a", "d": "a",
    "e": "b", "f": "b", "g": "c", "h": "d", "i": "d", "j": "d",
    "k": "e", "l": "e", "m": "g", "n": "j",
    "o": "k", "p": "k", "q": "n",
    "r": "o", "s": "q",
    "t": "r", "u": "s", "v": "s",
    "w": "t",
    "x": "w",
    "y": None,  # a second root, unrelated to a
}


@pytest.fixture
def tree25(db) -> dict:
    members: dict = {}
    for name, sponsor in TREE_25.items():
        members[name] = UserFactory(username=name, sponsor=members[sponsor] if sponsor else None)
    for member in members.values():
        member.refresh_from_db()
    return members


def ancestors(name: str) -> list[str]:
    """Reference answer computed from TREE_25 the slow way."""
    chain = []
    sponsor = TREE_25[name]
    while sponsor is not None:
        chain.append(sponsor)
        sponsor = TREE_25[sponsor]
    return chain


def descendants(name: str) -> dict[str, int]:
    """name → level, for everyone below `name` in TREE_25."""
    return {other: ancestors(other).index(name) + 1 for other in TREE_25 if name in ancestors(other)}
