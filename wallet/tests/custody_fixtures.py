"""Fixtures for the custody tests: a devnode on a free port and a freshly generated signer.

Import the fixtures you use into a test module. No key or mnemonic is stored anywhere: each
test run generates its own with bip-utils.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from tronpy.keys import PrivateKey

from devnode.server import Devnode
from wallet.custody.chain import chain_clients_reset
from wallet.custody.keys import account_xpub, mnemonic_generate

SUN = 1_000_000
SOLID_LAG = 4


class NodeHandle:
    def __init__(self, node: Devnode):
        self.node = node
        self.chain = node.chain
        self.url = node.url
        self.solidity_url = node.solidity_url  # /walletsolidity/* on a port of its own
        self.session = requests.Session()

    def op(self, endpoint: str, /, **body) -> dict:
        response = self.session.post(f"{self.url}devnode/{endpoint}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def fault(self, **switches) -> dict:
        """Arm fault switches (see devnode/faults.py), e.g. fault(error_bodies=2)."""
        return self.op("fault", **switches)

    def mine(self, blocks: int = 1, advance_seconds: float = 0) -> dict:
        return self.op("mine", blocks=blocks, advance_seconds=advance_seconds)

    def solidify(self) -> dict:
        """Mine until everything mined so far is solidified."""
        return self.mine(self.chain.solid_lag + 1)

    @property
    def usdt(self) -> str:
        return self.chain.info()["usdt"]

    def usdt_of(self, address: str) -> int:
        return self.op("balances", address=address)["tokens"][self.usdt]

    def trx_of(self, address: str) -> int:
        return self.op("balances", address=address)["trx_sun"]


@pytest.fixture
def devnode(tmp_path):
    node = Devnode(port=0, block_time=0, solid_lag=SOLID_LAG, snapshot_path=tmp_path / "devnode.json",
                   solidity_port=0).start()
    try:
        yield NodeHandle(node)
    finally:
        node.stop()


@pytest.fixture
def chain_settings(settings, devnode):
    settings.TRON_NODE_URL = devnode.url
    settings.USDT_CONTRACT = devnode.usdt
    settings.TRON_RETRY_BACKOFF = 0.01
    settings.TRON_RATE_LIMIT_PER_SECOND = 0
    settings.TRON_SCAN_START_BLOCK = 0
    settings.TRON_MULTICALL_CONTRACT = devnode.chain.info()["multicall"]
    chain_clients_reset()
    yield settings
    chain_clients_reset()


class Signer:
    def __init__(self, mnemonic: str, hot: PrivateKey, gas: PrivateKey):
        self.mnemonic = mnemonic
        self.xpub = account_xpub(mnemonic=mnemonic)
        self.hot = hot
        self.gas = gas
        self.hot_address = hot.public_key.to_base58check_address()
        self.gas_address = gas.public_key.to_base58check_address()


@pytest.fixture
def signer(chain_settings, devnode, monkeypatch):
    """A fresh mnemonic and wallet keys in the signer's environment; hot and gas wallets funded."""
    result = Signer(mnemonic_generate(), PrivateKey.random(), PrivateKey.random())
    monkeypatch.setenv("TRON_SIGNER_MNEMONIC", result.mnemonic)
    monkeypatch.setenv("TRON_HOT_WALLET_KEY", result.hot.hex())
    monkeypatch.setenv("TRON_GAS_WALLET_KEY", result.gas.hex())
    monkeypatch.delenv("TRON_SIGNER_KEYFILE", raising=False)
    chain_settings.TRON_XPUB = result.xpub
    chain_settings.TRON_HOT_WALLET_ADDRESS = result.hot_address
    chain_settings.TRON_GAS_WALLET_ADDRESS = result.gas_address
    chain_settings.TRON_SIGNER_KEYFILE = ""
    devnode.op("fund_trx", address=result.hot_address, amount=10_000 * SUN)
    devnode.op("fund_trx", address=result.gas_address, amount=10_000 * SUN)
    devnode.op("mint_usdt", address=result.hot_address, amount=1_000_000 * SUN)
    devnode.solidify()
    return result


def credited_address(devnode: NodeHandle, settings) -> str:
    """A new member's deposit address that received 50 USDT, credited; sweeps set to take it."""
    from accounts.tests.factories import UserFactory
    from wallet.custody.deposits import deposit_address_get_or_create, deposits_scan

    settings.SWEEP_THRESHOLD = Decimal("10")
    settings.SWEEP_GAS_SUN = 20 * SUN
    address = deposit_address_get_or_create(user=UserFactory.create()).address
    devnode.op("deposit", to=address, amount=50 * SUN)
    devnode.solidify()
    deposits_scan()
    return address


def swept_address(devnode: NodeHandle, settings) -> str:
    """`credited_address`, then swept to the hot wallet with 20 TRX of gas."""
    from wallet.custody.sweeps import deposits_sweep, sweeps_advance

    address = credited_address(devnode, settings)
    deposits_sweep()
    for _ in range(2):
        devnode.solidify()
        sweeps_advance()
    assert devnode.usdt_of(address) == 0
    return address
