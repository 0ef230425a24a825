from wallet.tests.conftest import invariants  # noqa: F401  (money tests end with the ledger checks)
