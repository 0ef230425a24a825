"""Keys: deposit addresses from the account xpub, and the signer's secret material.

The web process and the scanner only ever use `deposit_address()` — an extended *public* key
cannot sign. Secret material (the mnemonic for sweeps, the hot and gas wallet keys) is loaded
by the signer worker alone, from the environment or from a file encrypted with Fernet, at the
moment it signs; it is never stored in the database, logged, or put in an exception message.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from bip_utils import (
    Bip39MnemonicGenerator,
    Bip39SeedGenerator,
    Bip39WordsNum,
    Bip44,
    Bip44Changes,
    Bip44Coins,
)
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from tronpy.keys import PrivateKey

ENV_MNEMONIC = "TRON_SIGNER_MNEMONIC"
ENV_PASSPHRASE = "TRON_SIGNER_PASSPHRASE"
ENV_HOT_WALLET_KEY = "TRON_HOT_WALLET_KEY"
ENV_GAS_WALLET_KEY = "TRON_GAS_WALLET_KEY"
ENV_KEYFILE = "TRON_SIGNER_KEYFILE"
ENV_FERNET_KEY = "TRON_SIGNER_FERNET_KEY"


class SignerKeyError(ImproperlyConfigured):
    """Secret material is missing or does not match the public configuration."""


# Public side ---------------------------------------------------------------------------------


def mnemonic_generate() -> str:
    return str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_24))


def account_xpub(*, mnemonic: str, passphrase: str = "") -> str:
    """The extended public key of m/44'/195'/0' — the last hardened level — for the web side."""
    seed = Bip39SeedGenerator(mnemonic).Generate(passphrase)
    xpub: str = Bip44.FromSeed(seed, Bip44Coins.TRON).Purpose().Coin().Account(0).PublicKey().ToExtended()
    return xpub


@functools.lru_cache(maxsize=4)
def _external_chain(xpub: str) -> Bip44:
    return Bip44.FromExtendedKey(xpub, Bip44Coins.TRON).Change(Bip44Changes.CHAIN_EXT)


def deposit_address(*, index: int, xpub: str | None = None) -> str:
    """The base58 address m/44'/195'/0'/0/index, derived from the account xpub only."""
    xpub = xpub or settings.TRON_XPUB
    if not xpub:
        raise ImproperlyConfigured("TRON_XPUB is not set: deposit addresses cannot be derived.")
    address: str = _external_chain(xpub).AddressIndex(index).PublicKey().ToAddress()
    return address


# Signer side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignerSecrets:
    mnemonic: str = field(default="", repr=False)
    passphrase: str = field(default="", repr=False)
    hot_wallet_key: str = field(default="", repr=False)
    gas_wallet_key: str = field(default="", repr=False)


def keyfile_write(*, path: str | Path, secrets: SignerSecrets, fernet_key: str | bytes) -> None:
    """Encrypt the signer's secrets into a file (readable by the signer's user only)."""
    payload = json.dumps({
        "mnemonic": secrets.mnemonic, "passphrase": secrets.passphrase,
        "hot_wallet_key": secrets.hot_wallet_key, "gas_wallet_key": secrets.gas_wallet_key,
    }).encode()
    path = Path(path)
    path.write_bytes(Fernet(fernet_key).encrypt(payload))
    path.chmod(0o600)


def signer_secrets() -> SignerSecrets:
    """Read the secrets now: from the Fernet-encrypted key file if one is configured, else the env."""
    keyfile = os.environ.get(ENV_KEYFILE) or settings.TRON_SIGNER_KEYFILE
    if keyfile:
        fernet_key = os.environ.get(ENV_FERNET_KEY, "")
        if not fernet_key:
            raise SignerKeyError(f"{ENV_FERNET_KEY} is required to open the signer key file.")
        try:
            data = json.loads(Fernet(fernet_key).decrypt(Path(keyfile).read_bytes()))
        except (InvalidToken, ValueError, OSError) as error:
            raise SignerKeyError(f"The signer key file cannot be opened ({type(error).__name__}).") from None
        return SignerSecrets(**{k: data.get(k, "") for k in ("mnemonic", "passphrase", "hot_wallet_key",
                                                             "gas_wallet_key")})
    return SignerSecrets(
        mnemonic=os.environ.get(ENV_MNEMONIC, ""), passphrase=os.environ.get(ENV_PASSPHRASE, ""),
        hot_wallet_key=os.environ.get(ENV_HOT_WALLET_KEY, ""), gas_wallet_key=os.environ.get(ENV_GAS_WALLET_KEY, ""),
    )


def _wallet_key(hex_key: str, expected_address: str, name: str) -> PrivateKey:
    if not hex_key:
        raise SignerKeyError(f"The {name} wallet key is not configured.")
    try:
        key = PrivateKey(bytes.fromhex(hex_key.removeprefix("0x")))
    except Exception:
        raise SignerKeyError(f"The {name} wallet key is malformed.") from None
    if expected_address and key.public_key.to_base58check_address() != expected_address:
        raise SignerKeyError(f"The {name} wallet key does not belong to the configured {name} wallet address.")
    return key


def hot_wallet_key() -> PrivateKey:
    return _wallet_key(signer_secrets().hot_wallet_key, settings.TRON_HOT_WALLET_ADDRESS, "hot")


def gas_wallet_key() -> PrivateKey:
    return _wallet_key(signer_secrets().gas_wallet_key, settings.TRON_GAS_WALLET_ADDRESS, "gas")


def deposit_private_key(*, index: int) -> PrivateKey:
    """The key of deposit address `index`, refused unless it matches what the xpub derives."""
    secrets = signer_secrets()
    if not secrets.mnemonic:
        raise SignerKeyError("The signer mnemonic is not configured.")
    seed = Bip39SeedGenerator(secrets.mnemonic).Generate(secrets.passphrase)
    node = (Bip44.FromSeed(seed, Bip44Coins.TRON).Purpose().Coin().Account(0)
            .Change(Bip44Changes.CHAIN_EXT).AddressIndex(index))
    key = PrivateKey(node.PrivateKey().Raw().ToBytes())
    if key.public_key.to_base58check_address() != deposit_address(index=index):
        raise SignerKeyError("The signer mnemonic does not match TRON_XPUB.")
    return key
