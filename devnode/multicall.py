"""A Multicall contract on the devnode: MakerDAO's `aggregate((address,bytes)[])`.

Real networks have Multicall deployed by many projects; Phonix reads many balances through one
(`TRON_MULTICALL_CONTRACT`). The devnode serves one at a fixed address, running each inner call
against its tokens (`balanceOf`) or itself (`getEthBalance`, an account's TRX in sun on TRON).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import eth_abi
from tronpy.keys import to_base58check_address

if TYPE_CHECKING:
    from .state import ChainView, JsonObject

MULTICALL_HEX = "41" + hashlib.sha256(b"phonix devnode multicall").hexdigest()[:40]
MULTICALL_ADDRESS: str = to_base58check_address(MULTICALL_HEX)
SELECTOR_BALANCE_OF = bytes.fromhex("70a08231")
SELECTOR_GET_ETH_BALANCE = bytes.fromhex("4d2301cc")


class Revert(Exception):
    pass


def multicall(chain: ChainView, selector: str, parameter: str) -> JsonObject:
    if selector != "aggregate((address,bytes)[])":
        return _revert()
    try:
        (calls,) = eth_abi.decode(["(address,bytes)[]"], bytes.fromhex(parameter))
        returns = [_inner(chain, "41" + target[2:].lower(), data) for target, data in calls]
    except (Revert, ValueError, eth_abi.exceptions.DecodingError):
        return _revert()
    value = eth_abi.encode(["uint256", "bytes[]"], [chain.head["number"], returns]).hex()
    return {"result": {"result": True}, "constant_result": [value], "energy_used": 2_000 * len(returns)}


def _inner(chain: ChainView, target_hex: str, data: bytes) -> bytes:
    holder = "41" + data[16:36].hex() if len(data) == 36 else ""
    if data[:4] == SELECTOR_BALANCE_OF and holder and target_hex in chain.state["tokens"]:
        return eth_abi.encode(["uint256"], [chain.token_balance(target_hex, holder)])
    if data[:4] == SELECTOR_GET_ETH_BALANCE and holder and target_hex == MULTICALL_HEX:
        account = chain.account(holder)
        return eth_abi.encode(["uint256"], [account["balance"] if account else 0])
    raise Revert  # Multicall reverts as a whole when one call fails


def _revert() -> JsonObject:
    return {"result": {"code": "CONTRACT_EXE_ERROR", "message": b"REVERT opcode executed".hex()},
            "constant_result": [""]}
