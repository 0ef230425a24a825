from wallet.tests.conftest import balance_of, invariants  # noqa: F401
