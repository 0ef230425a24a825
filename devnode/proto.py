"""Just enough protobuf to hash a transaction's raw_data the way java-tron does.

txid = sha256(serialised Transaction.raw). Only the contract types Phonix sends are known:
TransferContract (TRX) and TriggerSmartContract (TRC20 calls).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from tronpy.keys import to_raw_address

if TYPE_CHECKING:
    from .state import JsonObject

CONTRACT_TYPES = {"TransferContract": 1, "TriggerSmartContract": 31}


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value) if value else b""


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value if value else b""


def _contract_value(kind: str, value: JsonObject) -> bytes:
    if kind == "TransferContract":
        return (
            _bytes(1, to_raw_address(value["owner_address"]))
            + _bytes(2, to_raw_address(value["to_address"]))
            + _int(3, int(value["amount"]))
        )
    if kind == "TriggerSmartContract":
        return (
            _bytes(1, to_raw_address(value["owner_address"]))
            + _bytes(2, to_raw_address(value["contract_address"]))
            + _int(3, int(value.get("call_value", 0)))
            + _bytes(4, bytes.fromhex(value.get("data", "")))
            + _int(5, int(value.get("call_token_value", 0)))
            + _int(6, int(value.get("token_id", 0)))
        )
    raise ValueError(f"unsupported contract type {kind}")


def raw_data_bytes(raw: JsonObject) -> bytes:
    contracts = b""
    for contract in raw["contract"]:
        kind = contract["type"]
        if kind not in CONTRACT_TYPES:
            raise ValueError(f"unsupported contract type {kind}")
        any_message = _bytes(1, contract["parameter"]["type_url"].encode()) + _bytes(
            2, _contract_value(kind, contract["parameter"]["value"])
        )
        body = _int(1, CONTRACT_TYPES[kind]) + _bytes(2, any_message)
        body += _int(5, int(contract.get("Permission_id", 0)))
        contracts += _bytes(11, body)
    return (
        _bytes(1, bytes.fromhex(raw["ref_block_bytes"]))
        + _bytes(4, bytes.fromhex(raw["ref_block_hash"]))
        + _int(8, int(raw["expiration"]))
        + _bytes(10, bytes.fromhex(raw.get("data", "")))
        + contracts
        + _int(14, int(raw.get("timestamp", 0)))
        + _int(18, int(raw.get("fee_limit", 0)))
    )


def txid_of(raw: JsonObject) -> str:
    return hashlib.sha256(raw_data_bytes(raw)).hexdigest()
