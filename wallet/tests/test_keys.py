import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from tronpy.keys import PrivateKey

from wallet.custody.keys import (
    SignerKeyError,
    SignerSecrets,
    account_xpub,
    deposit_address,
    deposit_private_key,
    gas_wallet_key,
    hot_wallet_key,
    keyfile_write,
    mnemonic_generate,
    signer_secrets,
)

VECTOR = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"


def test_the_published_vector_derives_the_known_addresses():
    xpub = account_xpub(mnemonic=VECTOR)
    assert deposit_address(index=0, xpub=xpub) == "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
    assert deposit_address(index=1, xpub=xpub) == "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK"


def test_xpub_addresses_match_the_private_keys_derived_from_a_fresh_mnemonic(settings, monkeypatch):
    mnemonic = mnemonic_generate()
    settings.TRON_XPUB = account_xpub(mnemonic=mnemonic)
    settings.TRON_SIGNER_KEYFILE = ""
    monkeypatch.setenv("TRON_SIGNER_MNEMONIC", mnemonic)
    monkeypatch.delenv("TRON_SIGNER_KEYFILE", raising=False)
    for index in (0, 1, 7, 1000, 2**31 - 1):
        key = deposit_private_key(index=index)
        assert key.public_key.to_base58check_address() == deposit_address(index=index)
        # The key really controls that address: a signature by it recovers to the address.
        digest = bytes(32)
        assert key.sign_msg_hash(digest).recover_public_key_from_msg_hash(digest).to_base58check_address() == (
            deposit_address(index=index)
        )


def test_a_mnemonic_that_does_not_match_the_xpub_is_refused(settings, monkeypatch):
    settings.TRON_XPUB = account_xpub(mnemonic=mnemonic_generate())
    settings.TRON_SIGNER_KEYFILE = ""
    monkeypatch.delenv("TRON_SIGNER_KEYFILE", raising=False)
    monkeypatch.setenv("TRON_SIGNER_MNEMONIC", mnemonic_generate())
    with pytest.raises(SignerKeyError, match="does not match"):
        deposit_private_key(index=3)


def test_secrets_load_from_a_fernet_encrypted_file(settings, monkeypatch, tmp_path):
    mnemonic, hot = mnemonic_generate(), PrivateKey.random()
    fernet_key = Fernet.generate_key().decode()
    path = tmp_path / "signer.key"
    keyfile_write(path=path, secrets=SignerSecrets(mnemonic=mnemonic, hot_wallet_key=hot.hex()), fernet_key=fernet_key)
    assert mnemonic.encode() not in path.read_bytes()
    assert path.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("TRON_SIGNER_KEYFILE", str(path))
    monkeypatch.setenv("TRON_SIGNER_FERNET_KEY", fernet_key)
    monkeypatch.setenv("TRON_SIGNER_MNEMONIC", "ignored when a key file is configured")
    settings.TRON_HOT_WALLET_ADDRESS = hot.public_key.to_base58check_address()
    assert signer_secrets().mnemonic == mnemonic
    assert hot_wallet_key() == hot
    assert mnemonic not in repr(signer_secrets()) and hot.hex() not in repr(signer_secrets())
    monkeypatch.setenv("TRON_SIGNER_FERNET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SignerKeyError) as refused:
        signer_secrets()
    assert mnemonic not in str(refused.value)


def test_a_hot_wallet_key_for_another_address_is_refused(settings, monkeypatch):
    settings.TRON_SIGNER_KEYFILE = ""
    monkeypatch.delenv("TRON_SIGNER_KEYFILE", raising=False)
    monkeypatch.setenv("TRON_HOT_WALLET_KEY", PrivateKey.random().hex())
    settings.TRON_HOT_WALLET_ADDRESS = PrivateKey.random().public_key.to_base58check_address()
    with pytest.raises(SignerKeyError, match="does not belong"):
        hot_wallet_key()


def test_deposit_addresses_cannot_be_derived_without_the_xpub(settings):
    settings.TRON_XPUB = ""
    with pytest.raises(ImproperlyConfigured, match="TRON_XPUB is not set"):
        deposit_address(index=0)


def test_a_key_file_without_its_fernet_key_is_refused(settings, monkeypatch, tmp_path):
    path = tmp_path / "signer.key"
    keyfile_write(path=path, secrets=SignerSecrets(mnemonic=mnemonic_generate()), fernet_key=Fernet.generate_key())
    monkeypatch.setenv("TRON_SIGNER_KEYFILE", str(path))
    monkeypatch.delenv("TRON_SIGNER_FERNET_KEY", raising=False)
    with pytest.raises(SignerKeyError, match="TRON_SIGNER_FERNET_KEY is required"):
        signer_secrets()


def _signer_from_environment(settings, monkeypatch) -> None:
    settings.TRON_SIGNER_KEYFILE = ""
    for name in ("TRON_SIGNER_KEYFILE", "TRON_SIGNER_MNEMONIC", "TRON_HOT_WALLET_KEY", "TRON_GAS_WALLET_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_or_malformed_gas_wallet_key_is_refused_without_being_shown(settings, monkeypatch):
    _signer_from_environment(settings, monkeypatch)
    settings.TRON_GAS_WALLET_ADDRESS = PrivateKey.random().public_key.to_base58check_address()
    with pytest.raises(SignerKeyError, match="gas wallet key is not configured"):
        gas_wallet_key()
    malformed = "0x" + "ab" * 31 + "zz"
    monkeypatch.setenv("TRON_GAS_WALLET_KEY", malformed)
    with pytest.raises(SignerKeyError, match="gas wallet key is malformed") as refused:
        gas_wallet_key()
    assert "ab" * 31 not in str(refused.value) and refused.value.__cause__ is None


def test_a_gas_wallet_key_with_the_0x_prefix_is_accepted(settings, monkeypatch):
    _signer_from_environment(settings, monkeypatch)
    gas = PrivateKey.random()
    settings.TRON_GAS_WALLET_ADDRESS = gas.public_key.to_base58check_address()
    monkeypatch.setenv("TRON_GAS_WALLET_KEY", "0x" + gas.hex())
    assert gas_wallet_key() == gas


def test_deposit_keys_need_the_signer_mnemonic(settings, monkeypatch):
    _signer_from_environment(settings, monkeypatch)
    settings.TRON_XPUB = account_xpub(mnemonic=mnemonic_generate())
    with pytest.raises(SignerKeyError, match="mnemonic is not configured"):
        deposit_private_key(index=0)
