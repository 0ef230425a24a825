"""The devnode's chain: accounts, TRC20 tokens, blocks, the transaction pool, faults, snapshots.

Every change of state is a transaction in a block, so a fork of the unsolidified tail can undo
it: each block keeps a journal of the values it overwrote until it is solidified.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Protocol, TypedDict

from Crypto.Hash import keccak
from tronpy.keys import PrivateKey, Signature, to_base58check_address, to_hex_address

from .faults import DEFAULTS as FAULT_DEFAULTS
from .faults import Balancer, Faults, faults_set
from .multicall import MULTICALL_ADDRESS, MULTICALL_HEX, multicall
from .proto import raw_data_bytes, txid_of

SUN = 1_000_000
MAINNET_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
# Computed here rather than shared with wallet/custody/chain.py, so that the node stays an independent
# check of the client's constant.
TRANSFER_TOPIC = keccak.new(digest_bits=256, data=b"Transfer(address,address,uint256)").hexdigest()
SELECTOR_TRANSFER = "a9059cbb"
CONSTANT_SELECTORS = {
    "balanceOf(address)": "70a08231",
    "decimals()": "313ce567",
    "name()": "06fdde03",
    "symbol()": "95d89b41",
    "totalSupply()": "18160ddd",
}
ACCOUNT_CREATE_FEE = 1 * SUN
CREATE_NET_FEE = 100_000
FREE_NET_PER_DAY = 600
NET_PRICE = 1000  # sun per byte once the free bandwidth is used
ENERGY_TRANSFER = 65_000  # recipient already holds the token
ENERGY_TRANSFER_NEW_HOLDER = 130_000
ENERGY_REVERT = 10_000
MAX_FEE_LIMIT = 15_000 * SUN
MAX_EXPIRATION_MS = 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
# Blocks below the solidified head whose undo journal is kept, so that a fork deeper than the
# solidification lag (what an operator's too-shallow blocks:N rule risks) can be modelled.
DEEP_FORK_BLOCKS = 100


# A transaction, receipt, block or request body as the JSON that clients send and nodes answer.
JsonObject = dict[str, Any]


class Account(TypedDict):
    balance: int  # sun
    create_time: int
    net_day: int  # the day (in ms // DAY_MS) that net_used counts free bandwidth for
    net_used: int


class Token(TypedDict):
    name: str
    symbol: str
    decimals: int
    balances: dict[str, int]  # hex address → units


class BlockHeader(TypedDict):
    number: int
    parent: str
    timestamp: int
    txids: list[str]


class Block(BlockHeader):
    id: str


class StoredTx(TypedDict):
    tx: JsonObject
    block: int
    info: JsonObject  # what gettransactioninfobyid answers
    index: int


class PoolEntry(TypedDict):
    txid: str
    tx: JsonObject
    not_before: int  # the first block number that may pack it


class BlockJournal(TypedDict, total=False):
    """The values a block overwrote; None for an account or balance that did not exist."""

    accounts: dict[str, Account | None]
    tokens: dict[str, int | None]  # "contract|holder" → balance


class ChainState(TypedDict):
    """Everything the snapshot keeps (JSON, so numbered blocks are keyed by str in the journal)."""

    keys: dict[str, str]
    accounts: dict[str, Account]
    tokens: dict[str, Token]
    usdt: str
    blocks: list[Block]
    txs: dict[str, StoredTx]
    pool: list[PoolEntry]
    journal: dict[str, BlockJournal]
    time_offset_ms: int
    fork_salt: int
    journal_floor: int
    faults: Faults


class ChainView(Protocol):
    """What the node endpoints read: the chain itself, or a backend lagging behind it."""

    @property
    def state(self) -> ChainState: ...
    @property
    def energy_price(self) -> int: ...
    @property
    def head(self) -> Block: ...
    @property
    def solid_number(self) -> int: ...
    def block(self, number: int) -> Block | None: ...
    def account(self, hex_address: str) -> Account | None: ...
    def token_balance(self, contract_hex: str, holder_hex: str) -> int: ...
    def transaction_block(self, txid: str) -> int | None: ...
    def transaction_json(self, txid: str) -> JsonObject: ...
    def transaction_info(self, txid: str, *, solid: bool) -> JsonObject: ...
    def block_infos(self, number: int, *, solid: bool) -> list[JsonObject]: ...
    def block_json(self, number: int) -> JsonObject: ...
    def constant_call(self, contract_hex: str, selector: str, parameter: str) -> JsonObject: ...
    def broadcast(self, tx: JsonObject) -> str: ...


class Rejected(Exception):
    """A broadcast the node refuses; `code` is java-tron's response code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def now_ms() -> int:
    return int(time.time() * 1000)


def _word(value: int) -> str:
    return f"{value:064x}"


def _abi_string(text: str) -> str:
    data = text.encode()
    padded = data.hex().ljust(((len(data) + 31) // 32) * 64, "0")
    return _word(32) + _word(len(data)) + padded


def _hex_text(text: str) -> str:
    return text.encode().hex()


class Chain:
    _building: int  # the number of the block being mined

    def __init__(
        self,
        *,
        solid_lag: int = 19,
        energy_price: int = 100,
        usdt_address: str = MAINNET_USDT,
        snapshot_path: str | Path | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.solid_lag = solid_lag
        self.energy_price = energy_price
        self.snapshot_path = Path(snapshot_path) if snapshot_path else None
        self.requests: dict[str, int] = {}
        self.balancer = Balancer()
        self.state: ChainState
        if self.snapshot_path and self.snapshot_path.exists():
            self.state = json.loads(self.snapshot_path.read_text())
        else:
            self.state = self._genesis(to_hex_address(usdt_address))
            self.save()
        # Snapshots written before a switch existed get its default.
        self.state["faults"] = {**FAULT_DEFAULTS, **self.state["faults"]}
        self.state.setdefault("journal_floor", self.solid_number)
        self._tapos = {self._tapos_key(b["id"]): b["number"] for b in self.state["blocks"]}

    # Genesis and snapshots ------------------------------------------------------------------

    def _genesis(self, usdt_hex: str) -> ChainState:
        issuer, outside = PrivateKey.random(), PrivateKey.random()
        issuer_hex: str = issuer.public_key.to_hex_address()
        outside_hex: str = outside.public_key.to_hex_address()
        timestamp = now_ms()
        header: BlockHeader = {"number": 0, "parent": "00" * 32, "timestamp": timestamp, "txids": []}
        genesis: Block = {**header, "id": self._block_id(header, 0)}
        return {
            # Keys of the node's own issuer and "outside world" accounts; they exist only in the
            # snapshot of a local devnode and never hold real value.
            "keys": {"issuer": issuer.hex(), "outside": outside.hex()},
            "accounts": {
                issuer_hex: self._new_account(10**9 * SUN, timestamp),
                outside_hex: self._new_account(10**8 * SUN, timestamp),
            },
            "tokens": {
                usdt_hex: {
                    "name": "Tether USD", "symbol": "USDT", "decimals": 6,
                    "balances": {issuer_hex: 10**9 * SUN, outside_hex: 10**8 * SUN},
                },
            },
            "usdt": usdt_hex,
            "blocks": [genesis],
            "txs": {},
            "pool": [],
            "journal": {},
            "time_offset_ms": 0,
            "fork_salt": 0,
            "journal_floor": 0,  # blocks at or below it can no longer be undone
            "faults": FAULT_DEFAULTS.copy(),
        }

    @staticmethod
    def _new_account(balance: int, timestamp: int) -> Account:
        return {"balance": balance, "create_time": timestamp, "net_day": 0, "net_used": 0}

    def save(self) -> None:
        if not self.snapshot_path:
            return
        with self.lock:
            self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.snapshot_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.state))
            os.replace(temporary, self.snapshot_path)

    # Small accessors ----------------------------------------------------------------------

    @property
    def head(self) -> Block:
        return self.state["blocks"][-1]

    @property
    def solid_number(self) -> int:
        return max(0, self.head["number"] - self.solid_lag)

    def block(self, number: int) -> Block | None:
        blocks = self.state["blocks"]
        return blocks[number] if 0 <= number < len(blocks) else None

    def key(self, name: str) -> PrivateKey:
        return PrivateKey(bytes.fromhex(self.state["keys"][name]))

    def address_of(self, name: str) -> str:
        address: str = self.key(name).public_key.to_base58check_address()
        return address

    @property
    def usdt(self) -> str:
        return self.state["usdt"]

    def account(self, hex_address: str) -> Account | None:
        return self.state["accounts"].get(hex_address)

    def transaction_block(self, txid: str) -> int | None:
        stored = self.state["txs"].get(txid)
        return None if stored is None else stored["block"]

    def token_balance(self, contract_hex: str, holder_hex: str) -> int:
        return self.state["tokens"][contract_hex]["balances"].get(holder_hex, 0)

    @staticmethod
    def _tapos_key(block_id: str) -> tuple[str, str]:
        return block_id[12:16], block_id[16:32]

    def _block_id(self, block: BlockHeader, salt: int) -> str:
        digest = hashlib.sha256(
            json.dumps([block["number"], block["parent"], block["timestamp"], block["txids"], salt]).encode()
        ).hexdigest()
        return f"{block['number']:016x}" + digest[16:]

    # Journal: values a block overwrote, so that a fork can undo it ------------------------

    def _journal(self) -> BlockJournal:
        return self.state["journal"].setdefault(str(self._building), {})

    def _set_account(self, hex_address: str, value: Account) -> None:
        entries = self._journal().setdefault("accounts", {})
        if hex_address not in entries:
            entries[hex_address] = copy.deepcopy(self.state["accounts"].get(hex_address))
        self.state["accounts"][hex_address] = value

    def _set_token_balance(self, contract_hex: str, holder_hex: str, value: int) -> None:
        balances = self.state["tokens"][contract_hex]["balances"]
        entries = self._journal().setdefault("tokens", {})
        key = f"{contract_hex}|{holder_hex}"
        if key not in entries:
            entries[key] = balances.get(holder_hex)
        balances[holder_hex] = value

    def _undo(self, number: int) -> None:
        journal = self.state["journal"].pop(str(number), {})
        for hex_address, old_account in journal.get("accounts", {}).items():
            if old_account is None:
                self.state["accounts"].pop(hex_address, None)
            else:
                self.state["accounts"][hex_address] = old_account
        for key, old_balance in journal.get("tokens", {}).items():
            contract_hex, holder_hex = key.split("|")
            balances = self.state["tokens"][contract_hex]["balances"]
            if old_balance is None:
                balances.pop(holder_hex, None)
            else:
                balances[holder_hex] = old_balance

    # Validation ---------------------------------------------------------------------------

    def _contract(self, tx: JsonObject) -> tuple[str, JsonObject]:
        contracts = tx.get("raw_data", {}).get("contract") or []
        if len(contracts) != 1:
            raise Rejected("CONTRACT_VALIDATE_ERROR", "A transaction must hold exactly one contract.")
        contract = contracts[0]
        kind = contract.get("type")
        if kind not in ("TransferContract", "TriggerSmartContract"):
            raise Rejected("CONTRACT_VALIDATE_ERROR", f"The devnode does not support {kind}.")
        return kind, contract["parameter"]["value"]

    def _net_bytes(self, tx: JsonObject) -> int:
        return len(raw_data_bytes(tx["raw_data"])) + 67 * len(tx.get("signature") or []) + 64

    def _net_cost(self, account: Account, size: int, timestamp: int) -> tuple[int, int]:
        """(free bytes used, TRX burned) for a transaction of `size` bytes."""
        day = timestamp // DAY_MS
        used = account["net_used"] if account["net_day"] == day else 0
        if used + size <= FREE_NET_PER_DAY:
            return size, 0
        return 0, size * NET_PRICE

    def validate(self, tx: JsonObject, *, timestamp: int | None = None, check_tapos: bool = True) -> str:
        """Check a signed transaction against the current state; return its txid."""
        try:
            raw = tx["raw_data"]
            txid = txid_of(raw)
            kind, value = self._contract(tx)
            owner = to_hex_address(value["owner_address"])
        except Rejected:
            raise
        except Exception as error:
            raise Rejected("OTHER_ERROR", f"Malformed transaction: {error}") from None
        head_time = self.head["timestamp"] if timestamp is None else timestamp
        if raw["expiration"] <= head_time:
            raise Rejected("TRANSACTION_EXPIRATION_ERROR", "Transaction expired")
        if raw["expiration"] > head_time + MAX_EXPIRATION_MS:
            raise Rejected("TRANSACTION_EXPIRATION_ERROR", "Transaction expiration time is too long")
        if check_tapos and (raw.get("ref_block_bytes"), raw.get("ref_block_hash")) not in self._tapos:
            raise Rejected("TAPOS_ERROR", "Tapos check error")
        signers: set[str] = set()
        for signature in tx.get("signature") or []:
            try:
                public_key = Signature(bytes.fromhex(signature)).recover_public_key_from_msg_hash(
                    bytes.fromhex(txid)
                )
            except Exception:
                raise Rejected("SIGERROR", "Validate signature error: bad signature") from None
            signers.add(public_key.to_hex_address())
        if owner not in signers:
            raise Rejected("SIGERROR", "Validate signature error: the owner did not sign")
        account = self.account(owner)
        if account is None:
            raise Rejected("CONTRACT_VALIDATE_ERROR", f"Validate {kind} error, no OwnerAccount.")
        _, net_fee = self._net_cost(account, self._net_bytes(tx), head_time)
        if kind == "TransferContract":
            to = to_hex_address(value["to_address"])
            amount = int(value["amount"])
            if amount <= 0:
                raise Rejected("CONTRACT_VALIDATE_ERROR", "Amount must be greater than 0.")
            if to == owner:
                raise Rejected("CONTRACT_VALIDATE_ERROR", "Cannot transfer TRX to yourself.")
            create_fee = 0 if self.account(to) else ACCOUNT_CREATE_FEE + CREATE_NET_FEE
            if account["balance"] < amount + create_fee + (0 if create_fee else net_fee):
                raise Rejected("CONTRACT_VALIDATE_ERROR", "Validate TransferContract error, balance is not sufficient.")
        else:
            contract_hex = to_hex_address(value["contract_address"])
            if contract_hex not in self.state["tokens"]:
                raise Rejected("CONTRACT_VALIDATE_ERROR", "No contract or not a smart contract")
            fee_limit = int(raw.get("fee_limit", 0))
            if not 0 <= fee_limit <= MAX_FEE_LIMIT:
                raise Rejected("CONTRACT_VALIDATE_ERROR", "feeLimit must be >= 0 and <= 15000000000")
            if account["balance"] < net_fee:
                raise Rejected("BANDWITH_ERROR", "Account resource insufficient error.")
        return txid

    # Broadcast and blocks -----------------------------------------------------------------

    def broadcast(self, tx: JsonObject) -> str:
        with self.lock:
            txid = self.validate(tx)
            if txid in self.state["txs"] or any(p["txid"] == txid for p in self.state["pool"]):
                raise Rejected("DUP_TRANSACTION_ERROR", "Dup transaction.")
            faults = self.state["faults"]
            if faults["drop_broadcasts"] > 0:
                # Accepted by the API but lost before any block: the worst case for a sender.
                faults["drop_broadcasts"] -= 1
                return txid
            not_before = self.head["number"] + 1 + faults["delay_blocks"]
            faults["delay_blocks"] = 0
            self.state["pool"].append({"txid": txid, "tx": self._stored_tx(tx, txid), "not_before": not_before})
            return txid

    @staticmethod
    def _stored_tx(tx: JsonObject, txid: str) -> JsonObject:
        return {
            "txID": txid, "raw_data": tx["raw_data"], "signature": list(tx.get("signature") or []),
            "raw_data_hex": raw_data_bytes(tx["raw_data"]).hex(),
        }

    def mine(self, blocks: int = 1, *, advance_seconds: float = 0) -> JsonObject:
        with self.lock:
            self.state["time_offset_ms"] += int(advance_seconds * 1000)
            for _ in range(max(0, blocks)):
                self._mine_one()
            self.save()
            return {"head": self.head["number"], "solid": self.solid_number}

    def _mine_one(self) -> None:
        parent = self.head
        number = parent["number"] + 1
        interval = self.state["faults"]["block_interval_ms"]
        if interval > 0:
            timestamp = parent["timestamp"] + interval
        else:
            timestamp = max(parent["timestamp"] + 1, now_ms() + self.state["time_offset_ms"])
        self._building = number
        included: list[tuple[PoolEntry, JsonObject]] = []
        waiting: list[PoolEntry] = []
        for entry in self.state["pool"]:
            if entry["not_before"] > number:
                waiting.append(entry)
                continue
            try:
                # Re-checked against the state at packing time; a failure drops it from the pool.
                # As in java-tron, expiration is judged by the head (parent) block's time.
                self.validate(entry["tx"], timestamp=parent["timestamp"], check_tapos=False)
            except Rejected:
                continue
            info = self._execute(entry["tx"], entry["txid"], number, timestamp)
            included.append((entry, info))
        self.state["pool"] = waiting
        header: BlockHeader = {"number": number, "parent": parent["id"], "timestamp": timestamp,
                               "txids": [entry["txid"] for entry, _info in included]}
        block: Block = {**header, "id": self._block_id(header, self.state["fork_salt"])}
        for index, (entry, info) in enumerate(included):
            info.update(blockNumber=number, blockTimeStamp=timestamp)
            self.state["txs"][entry["txid"]] = {"tx": entry["tx"], "block": number, "info": info, "index": index}
        self.state["blocks"].append(block)
        self._tapos[self._tapos_key(block["id"])] = number
        floor = max(self.state["journal_floor"], self.solid_number - DEEP_FORK_BLOCKS)
        for key in [k for k in self.state["journal"] if int(k) <= floor]:
            del self.state["journal"][key]
        self.state["journal_floor"] = floor

    def _charge(self, owner: str, size: int, timestamp: int) -> JsonObject:
        account = self.state["accounts"][owner].copy()
        free, fee = self._net_cost(account, size, timestamp)
        day = timestamp // DAY_MS
        if account["net_day"] != day:
            account["net_day"], account["net_used"] = day, 0
        account["net_used"] += free
        account["balance"] -= fee
        self._set_account(owner, account)
        return {"net_usage": free} if free else {"net_fee": fee}

    def _execute(self, tx: JsonObject, txid: str, number: int, timestamp: int) -> JsonObject:
        kind, value = self._contract(tx)
        owner = to_hex_address(value["owner_address"])
        size = self._net_bytes(tx)
        if kind == "TransferContract":
            to = to_hex_address(value["to_address"])
            amount = int(value["amount"])
            if self.account(to) is None:
                # Activating an account burns the creation fee instead of bandwidth.
                fee = creation_fee = ACCOUNT_CREATE_FEE + CREATE_NET_FEE
                receipt: JsonObject = {"net_fee": CREATE_NET_FEE}
                self._set_account(to, self._new_account(0, timestamp))
            else:
                receipt = self._charge(owner, size, timestamp)  # bandwidth is charged here
                fee, creation_fee = receipt.get("net_fee", 0), 0
            sender = self.state["accounts"][owner].copy()
            sender["balance"] -= amount + creation_fee
            self._set_account(owner, sender)
            recipient = self.state["accounts"][to].copy()
            recipient["balance"] += amount
            self._set_account(to, recipient)
            info: JsonObject = {"id": txid, "contractResult": [""], "receipt": receipt}
            if fee:
                info["fee"] = fee
            return info
        return self._execute_trigger(tx, txid, owner, value, size, timestamp)

    def _execute_trigger(
        self, tx: JsonObject, txid: str, owner: str, value: JsonObject, size: int, timestamp: int,
    ) -> JsonObject:
        contract_hex: str = to_hex_address(value["contract_address"])
        receipt = self._charge(owner, size, timestamp)
        account = self.state["accounts"][owner].copy()
        fee_limit = int(tx["raw_data"].get("fee_limit", 0))
        energy_limit = min(fee_limit, account["balance"]) // self.energy_price
        data = value.get("data", "")
        logs: list[JsonObject] = []
        result_hex, message = "", ""
        if data[:8] == SELECTOR_TRANSFER and len(data) >= 8 + 128:
            to = "41" + data[8 + 24 : 8 + 64]
            amount = int(data[8 + 64 : 8 + 128], 16)
            held = self.token_balance(contract_hex, owner)
            if held < amount:
                needed, result = ENERGY_REVERT, "REVERT"
                message = "REVERT opcode executed"
                result_hex = "08c379a0" + _abi_string("ERC20: transfer amount exceeds balance")
            else:
                recipient_held = self.token_balance(contract_hex, to)
                needed = ENERGY_TRANSFER if recipient_held else ENERGY_TRANSFER_NEW_HOLDER
                result = "SUCCESS"
        else:
            needed, result, message = ENERGY_REVERT, "REVERT", "REVERT opcode executed"
        if needed > energy_limit:
            # The whole fee limit (or what the owner has) burns and nothing else happens.
            result, energy_used = "OUT_OF_ENERGY", energy_limit
            message = f"Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[{energy_limit}]"
            result_hex = ""
        else:
            energy_used = needed
        if result == "SUCCESS":
            self._set_token_balance(contract_hex, owner, held - amount)
            self._set_token_balance(contract_hex, to, self.token_balance(contract_hex, to) + amount)
            result_hex = _word(1)
            logs = [{
                "address": contract_hex[2:],
                "topics": [TRANSFER_TOPIC, "0" * 24 + owner[2:], "0" * 24 + to[2:]],
                "data": _word(amount),
            }]
        energy_fee = energy_used * self.energy_price
        account["balance"] -= energy_fee
        self._set_account(owner, account)
        receipt.update(energy_usage_total=energy_used, energy_fee=energy_fee, result=result)
        info: JsonObject = {"id": txid, "contractResult": [result_hex], "contract_address": contract_hex,
                "receipt": receipt}
        fee = energy_fee + receipt.get("net_fee", 0)
        if fee:
            info["fee"] = fee
        if logs:
            info["log"] = logs
        if result != "SUCCESS":
            info["result"] = "FAILED"
            info["resMessage"] = _hex_text(message)
        return info

    def fork(self, *, depth: int | None = None, txid: str | None = None, reinclude: bool = False,
             deep: bool = False) -> JsonObject:
        """Replace the newest `depth` blocks by new ones and mine back to the former height.

        By default only unsolidified blocks can go (all of them when no depth is given). `txid`
        forks just deep enough to remove that transaction's block, and that transaction is never
        put back. `deep` allows going below the solidified head (as far as the undo journal
        reaches), which no real chain does but a `blocks:N` rule shallower than solidification
        cannot tell apart. The other removed transactions are forgotten, or put back in the pool
        with `reinclude`.
        """
        with self.lock:
            head = self.head["number"]
            floor = self.state["journal_floor"] if deep else self.solid_number
            tx_block = None
            if txid is not None:
                tx_block = self.transaction_block(txid)
                if tx_block is None:
                    raise ValueError(f"transaction {txid} is in no block")
                depth = max(depth or 0, head - tx_block + 1)
            depth = head - floor if depth is None else min(depth, head - floor)
            if tx_block is not None and head - depth >= tx_block:
                raise ValueError(f"transaction {txid} is too deep to fork away")
            removed: list[str] = []
            for _ in range(depth):
                block = self.state["blocks"].pop()
                self._tapos.pop(self._tapos_key(block["id"]), None)
                self._undo(block["number"])
                for removed_txid in reversed(block["txids"]):
                    stored = self.state["txs"].pop(removed_txid)
                    removed.append(removed_txid)
                    if reinclude and removed_txid != txid:
                        self.state["pool"].insert(0, {"txid": removed_txid, "tx": stored["tx"], "not_before": 0})
            self.state["fork_salt"] += 1
            for _ in range(depth):
                self._mine_one()
            self.save()
            return {"removed": removed, "head": self.head["number"], "solid": self.solid_number}

    # Queries ------------------------------------------------------------------------------

    def block_json(self, number: int) -> JsonObject:
        block = self.block(number)
        if block is None:
            return {}
        out: JsonObject = {
            "blockID": block["id"],
            "block_header": {
                "raw_data": {
                    "number": block["number"], "txTrieRoot": "00" * 32, "parentHash": block["parent"],
                    "timestamp": block["timestamp"], "version": 30,
                    "witness_address": self.key("issuer").public_key.to_hex_address(),
                },
                "witness_signature": "00" * 65,
            },
        }
        if block["txids"]:
            out["transactions"] = [self.transaction_json(txid) for txid in block["txids"]]
        return out

    def transaction_json(self, txid: str) -> JsonObject:
        stored = self.state["txs"][txid]
        contract_ret = stored["info"]["receipt"].get("result", "SUCCESS")
        return {**stored["tx"], "ret": [{"contractRet": contract_ret}]}

    def transaction_info(self, txid: str, *, solid: bool) -> JsonObject:
        stored = self.state["txs"].get(txid)
        if stored is None or (solid and stored["block"] > self.solid_number):
            return {}
        return stored["info"]

    def block_infos(self, number: int, *, solid: bool) -> list[JsonObject]:
        block = self.block(number)
        if block is None or (solid and number > self.solid_number):
            return []
        return [self.state["txs"][txid]["info"] for txid in block["txids"]]

    def constant_call(self, contract_hex: str, selector: str, parameter: str) -> JsonObject:
        if contract_hex == MULTICALL_HEX:
            return multicall(self, selector, parameter)
        token = self.state["tokens"].get(contract_hex)
        if token is None:
            return {"result": {"code": "CONTRACT_VALIDATE_ERROR",
                               "message": _hex_text("No contract or not a smart contract")}}
        if selector == "balanceOf(address)":
            holder = "41" + parameter[24:64]
            value = _word(token["balances"].get(holder, 0))
        elif selector == "decimals()":
            value = _word(token["decimals"])
        elif selector == "name()":
            value = _abi_string(token["name"])
        elif selector == "symbol()":
            value = _abi_string(token["symbol"])
        elif selector == "totalSupply()":
            value = _word(sum(token["balances"].values()))
        else:
            return {"result": {"code": "CONTRACT_EXE_ERROR", "message": _hex_text("REVERT opcode executed")},
                    "constant_result": [""]}
        return {"result": {"result": True}, "constant_result": [value], "energy_used": 500}

    # Operator helpers: real signed transactions from the node's own accounts ---------------

    def _signed(self, key_name: str, kind: str, value: JsonObject, *, fee_limit: int | None = None) -> JsonObject:
        head = self.head
        timestamp = max(now_ms() + self.state["time_offset_ms"], head["timestamp"])
        solid_block = self.block(self.solid_number)
        assert solid_block is not None  # the solidified head is always a block of the chain
        raw: JsonObject = {
            "contract": [{"parameter": {"value": value, "type_url": f"type.googleapis.com/protocol.{kind}"},
                          "type": kind}],
            "timestamp": timestamp,
            "expiration": timestamp + 3600 * 1000,
            "ref_block_bytes": solid_block["id"][12:16],
            "ref_block_hash": solid_block["id"][16:32],
        }
        if fee_limit is not None:
            raw["fee_limit"] = fee_limit
        txid = txid_of(raw)
        signature: str = self.key(key_name).sign_msg_hash(bytes.fromhex(txid)).hex()
        return {"txID": txid, "raw_data": raw, "signature": [signature]}

    def send_trx(self, *, to: str, amount_sun: int, key_name: str = "issuer") -> str:
        with self.lock:
            owner = self.key(key_name).public_key.to_hex_address()
            tx = self._signed(key_name, "TransferContract",
                              {"owner_address": owner, "to_address": to_hex_address(to), "amount": int(amount_sun)})
            return self._submit(tx)

    def send_token(
        self, *, to: str, amount: int, key_name: str = "outside", token: str | None = None,
        fail: str | None = None,
    ) -> str:
        """A TRC20 transfer from one of the node's accounts; `fail` makes it REVERT or run out of energy."""
        with self.lock:
            contract_hex = to_hex_address(token) if token else self.usdt
            owner = self.key(key_name).public_key.to_hex_address()
            if fail == "revert":
                amount += self.token_balance(contract_hex, owner)
            fee_limit = SUN if fail == "out_of_energy" else 100 * SUN
            data = SELECTOR_TRANSFER + "0" * 24 + to_hex_address(to)[2:] + _word(int(amount))
            tx = self._signed(key_name, "TriggerSmartContract", {
                "owner_address": owner, "contract_address": contract_hex, "data": data,
                "call_value": 0, "call_token_value": 0, "token_id": 0,
            }, fee_limit=fee_limit)
            return self._submit(tx)

    def _submit(self, tx: JsonObject) -> str:
        txid = self.validate(tx)
        self.state["pool"].append({"txid": txid, "tx": self._stored_tx(tx, txid), "not_before": 0})
        return txid

    def create_token(self, *, name: str, symbol: str, decimals: int = 6, address: str | None = None) -> str:
        with self.lock:
            contract_hex = to_hex_address(address) if address else PrivateKey.random().public_key.to_hex_address()
            issuer = self.key("issuer").public_key.to_hex_address()
            outside = self.key("outside").public_key.to_hex_address()
            self.state["tokens"][contract_hex] = {
                "name": name, "symbol": symbol, "decimals": int(decimals),
                "balances": {issuer: 10**9 * 10**decimals, outside: 10**8 * 10**decimals},
            }
            self.save()
            token_address: str = to_base58check_address(contract_hex)
            return token_address

    def set_faults(self, **values: Any) -> Faults:
        """`values` as an operator sent them (see faults_set)."""
        with self.lock:
            faults_set(self.state["faults"], values)
            if values.get("lagging_blocks") is not None or values.get("lagging_path") is not None:
                self.balancer.reset()
            return self.state["faults"].copy()

    def info(self) -> JsonObject:
        with self.lock:
            return {
                "head": self.head["number"], "solid": self.solid_number, "solid_lag": self.solid_lag,
                "head_timestamp": self.head["timestamp"],
                "usdt": to_base58check_address(self.usdt), "multicall": MULTICALL_ADDRESS,
                "issuer": self.address_of("issuer"), "outside": self.address_of("outside"),
                "pool": len(self.state["pool"]), "energy_price": self.energy_price,
                "faults": dict(self.state["faults"]), "requests": dict(self.requests),
            }
