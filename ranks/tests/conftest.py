from wallet.tests.conftest import invariants  # noqa: F401
