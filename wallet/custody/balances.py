"""Balances of many addresses in a few node calls, through a Multicall contract.

java-tron has no call that reads many balances at once, so one `balanceOf` per address would make
custody checks grow with members. A Multicall contract (MakerDAO's `aggregate((address,bytes)[])`,
deployed on mainnet and the testnets by many projects; `TRON_MULTICALL_CONTRACT`) runs a batch of
constant calls in one `triggerconstantcontract`; its `getEthBalance` reads an account's TRX in sun
on TRON. Without the setting every address costs one call.
"""

from __future__ import annotations

from collections.abc import Iterable

import eth_abi
from django.conf import settings
from tronpy.keys import to_hex_address

from .chain import ChainClient, ChainUnavailable

SELECTOR_BALANCE_OF = bytes.fromhex("70a08231")
SELECTOR_GET_ETH_BALANCE = bytes.fromhex("4d2301cc")
ZERO_OWNER = "410000000000000000000000000000000000000000"


def usdt_balances(*, client: ChainClient, addresses: Iterable[str]) -> dict[str, int]:
    """USDT units held by each address, read at the answering node's head."""
    addresses = list(dict.fromkeys(addresses))
    if not settings.TRON_MULTICALL_CONTRACT:
        return {address: client.usdt_balance(address) for address in addresses}
    return _read(client, addresses, target=client.usdt_hex, selector=SELECTOR_BALANCE_OF)


def trx_balances(*, client: ChainClient, addresses: Iterable[str]) -> dict[str, int]:
    """TRX (sun) held by each address; an account never activated holds 0."""
    addresses = list(dict.fromkeys(addresses))
    if not settings.TRON_MULTICALL_CONTRACT:
        return {address: client.trx_balance(address) for address in addresses}
    return _read(client, addresses, target=to_hex_address(settings.TRON_MULTICALL_CONTRACT),
                 selector=SELECTOR_GET_ETH_BALANCE)


def _read(client: ChainClient, addresses: list[str], *, target: str, selector: bytes) -> dict[str, int]:
    size = max(1, settings.TRON_BALANCE_BATCH)
    out: dict[str, int] = {}
    for start in range(0, len(addresses), size):
        batch = addresses[start : start + size]
        calls = [(bytes.fromhex(target[2:]), selector + bytes(12) + bytes.fromhex(to_hex_address(a)[2:]))
                 for a in batch]
        for address, value in zip(batch, _aggregate(client, calls), strict=True):
            (out[address],) = eth_abi.decode(["uint256"], value)
    return out


def _aggregate(client: ChainClient, calls: list[tuple[bytes, bytes]]) -> list[bytes]:
    answer = client.request("wallet/triggerconstantcontract", {
        "owner_address": ZERO_OWNER, "contract_address": to_hex_address(settings.TRON_MULTICALL_CONTRACT),
        "function_selector": "aggregate((address,bytes)[])",
        "parameter": eth_abi.encode(["(address,bytes)[]"], [calls]).hex(),
    })
    # A rate-limit body or a revert is no answer: ask again later, never read it as zeros.
    results = answer.get("constant_result") if isinstance(answer, dict) else None
    if not (isinstance(answer, dict) and answer.get("result", {}).get("result") is True and results and results[0]):
        raise ChainUnavailable(f"multicall: {str(answer)[:200]}")
    try:
        _, returns = eth_abi.decode(["uint256", "bytes[]"], bytes.fromhex(results[0]))
    except Exception as error:
        raise ChainUnavailable(f"multicall: undecodable answer ({error})") from error
    if len(returns) != len(calls):
        raise ChainUnavailable(f"multicall: {len(returns)} answers for {len(calls)} calls")
    return list(returns)
