"""A block's USDT transfers, read only from answers that prove the block's contents.

Behind a load balancer some backends lag: for a block they lack, `gettransactioninfobyblocknum`
answers `[]` and `getblockbynum` `{}`, with HTTP 200, and a rate-limited node answers an error
body. None of those is an empty block. Receipts are proof when they are a list of this block's
receipts; an empty list is proof only when the block itself, read with its transactions, has
none. Anything else is retried, then the caller stops at this block and tries it again later.
"""

from __future__ import annotations

import time

from .chain import ChainClient, ChainUnavailable, JsonObject, UsdtTransfer

ATTEMPTS = 3  # a load balancer sends the next try to another backend
RETRY_PAUSE_S = 0.2


class BlockUnproved(Exception):
    def __init__(self, number: int, reason: str):
        super().__init__(f"block {number}: {reason}")
        self.number = number
        self.reason = reason


def block_transfers(*, client: ChainClient, number: int) -> list[UsdtTransfer]:
    """USDT transfers of block `number`; raises BlockUnproved when no answer proves its contents."""
    reason = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(RETRY_PAUSE_S * attempt)
        try:
            receipts = client.request("wallet/gettransactioninfobyblocknum", {"num": number})
            reason = _disproof(client, receipts, number)
        except ChainUnavailable as error:  # error bodies and HTTP faults, after the client's retries
            reason = str(error)
            continue
        if not reason:
            return client.usdt_transfers_in(receipts, number)
    raise BlockUnproved(number, reason)


def _disproof(client: ChainClient, receipts: object, number: int) -> str:
    """Why `receipts` does not prove block `number`'s contents ("" when it does)."""
    if not isinstance(receipts, list):
        return f"the node answered {str(receipts)[:120]}"
    if receipts:
        if all(isinstance(r, dict) and r.get("id") and r.get("blockNumber") == number for r in receipts):
            return ""
        return "the receipts are not this block's"
    block = client.request("wallet/getblockbynum", {"num": number})
    header = block.get("block_header", {}).get("raw_data", {}) if isinstance(block, dict) else {}
    if not (isinstance(block, dict) and block.get("blockID") and header.get("number", 0) == number):
        return "the node does not have the block yet (no receipts, no block)"
    if block.get("transactions"):
        return f"no receipts for a block of {len(block['transactions'])} transactions"
    return ""


BLOCK_RANGE_LIMIT = 100  # java-tron's getblockbylimitnext serves at most 100 blocks a call


def solid_blocks(*, client: ChainClient, numbers: list[int]) -> dict[int, JsonObject]:
    """The solidified blocks among `numbers`, with their transactions, a call per 100 blocks.

    A block missing from the answer (a lagging backend, an error body) is simply absent: the caller
    proves its items another way or tries again later.
    """
    wanted = sorted(set(numbers))
    found: dict[int, JsonObject] = {}
    index = 0
    while index < len(wanted):
        start = wanted[index]
        end = start + BLOCK_RANGE_LIMIT
        try:
            answer = client.request("walletsolidity/getblockbylimitnext", {"startNum": start, "endNum": end})
        except ChainUnavailable:
            answer = {}
        for block in (answer.get("block") if isinstance(answer, dict) else None) or []:
            number = _block_number(block)
            if number is not None and start <= number < end:
                found[number] = block
        while index < len(wanted) and wanted[index] < end:
            index += 1
    return found


def _block_number(block: object) -> int | None:
    if not (isinstance(block, dict) and block.get("blockID")):
        return None
    number = block.get("block_header", {}).get("raw_data", {}).get("number")
    return number if isinstance(number, int) else None
