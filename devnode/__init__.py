"""A local TRON node for development and tests.

It answers the full-node HTTP endpoints that tronpy uses (see the chain notes) closely enough that
unmodified tronpy works against it: transaction ids are real protobuf hashes, signatures are
checked by recovering the signer, blocks solidify after a lag, and a TRC20 USDT contract keeps
balances, burns energy and emits Transfer logs. Operator endpoints under /devnode/ fund accounts,
send deposits from an outside address, mine blocks and inject faults.
"""
