"""The one amount parser: ASCII digits, at most one decimal point and 6 places."""

from decimal import Decimal

import pytest

from phonix.exceptions import InvalidAmount
from phonix.forms import AmountField, PlainDecimalField
from phonix.money import parse_amount

LOOKALIKES = ["１００", "١٠٠", "۱۰۰", "१००", "1_0", "1e3", "1E3", "1e-3", "0x10", "1,000", "1.2.3", "NaN", "Infinity",
              "-Infinity", "sNaN", "+-1", "--1", "", " ", ".", "1 000", "10\x00", "½", "²"]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_text_that_is_not_plain_ascii_decimal_is_refused(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text)


@pytest.mark.parametrize("text, amount", [
    ("100", Decimal("100")), (" 25.5 ", Decimal("25.5")), (".5", Decimal("0.5")), ("10.", Decimal("10")),
    ("0.000001", Decimal("0.000001")), ("1000000000", Decimal("1000000000")),
])
def test_plain_amounts_are_read_exactly(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("value, text", [
    (Decimal("5"), "5.000000"), (Decimal("-1.5"), "-1.500000"), (Decimal("0.1234560"), "0.123456"),
    (Decimal("1E+2"), "100.000000"), (7, "7.000000"), ("2.5", "2.500000"), (Decimal("0.000001"), "0.000001"),
])
def test_an_amount_comes_back_with_exactly_six_places(value, text):
    # The ledger's content hash is made of this text: one amount, one spelling.
    assert str(parse_amount(value, allow_negative=True)) == text


def test_a_float_is_refused_even_when_it_equals_a_decimal():
    with pytest.raises(InvalidAmount, match="float"):
        parse_amount(0.5)
    with pytest.raises(InvalidAmount, match="float"):
        parse_amount(True)


def test_more_than_six_places_are_refused_even_when_they_are_zeros():
    with pytest.raises(InvalidAmount, match="6 decimal places"):
        parse_amount("1.0000000")


def test_a_negative_amount_needs_permission():
    assert parse_amount("-5.25", allow_negative=True) == Decimal("-5.25")
    with pytest.raises(InvalidAmount, match="positive"):
        parse_amount("-5")


@pytest.mark.parametrize("text", ["1e3", "１００", "1_0", "1" * 40])
def test_the_form_fields_refuse_lookalikes_with_a_message(text):
    from django import forms

    for field in (AmountField(), PlainDecimalField(max_digits=30, decimal_places=6)):
        with pytest.raises(forms.ValidationError):
            field.clean(text)
    assert AmountField().clean("12.5") == Decimal("12.5")
    assert PlainDecimalField(max_digits=30, decimal_places=6).clean("12.5") == Decimal("12.5")
