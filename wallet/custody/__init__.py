"""Custody of the USDT on TRON: the chain client and keys, deposits, withdrawals, sweeps and their
signed transfers, what each address holds, and custody reconciled against the chain.

It moves money only through the ledger (wallet/ledger/), which never imports it.
"""
