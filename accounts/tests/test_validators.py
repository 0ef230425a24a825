import pytest
from django.core.exceptions import ValidationError
from tronpy.keys import PrivateKey

from accounts.validators import tron_address_is_valid, validate_tron_address

USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_real_tron_addresses_pass():
    generated = PrivateKey(bytes(range(1, 33))).public_key.to_base58check_address()
    for address in (USDT_CONTRACT, generated):
        assert tron_address_is_valid(address)
        validate_tron_address(address)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "checksum"),  # last character changed
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6", "checksum"),  # one short
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt", "checksum"),  # one long
        ("T0000000000000000000000000000000OI", "checksum"),  # not base58
        ("41a614f803b6fd780986a42c78ec9c7f77e6ded13c", "hex"),
        ("0x41a614f803b6fd780986a42c78ec9c7f77e6ded13c", "hex"),
        ("0xdAC17F958D2ee523a2206206994597C13D831ec7", "chain"),  # Ethereum
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "chain"),  # Bitcoin (valid base58check itself)
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "chain"),
        ("", "chain"),
    ],
)
def test_bad_addresses_are_refused_with_a_reason(address, code):
    assert not tron_address_is_valid(address)
    with pytest.raises(ValidationError) as refused:
        validate_tron_address(address)
    assert refused.value.code == code


def test_a_base58check_address_of_another_version_byte_is_refused():
    import base58

    other_version = base58.b58encode_check(b"\x42" + bytes(20)).decode()
    assert not tron_address_is_valid(other_version)
