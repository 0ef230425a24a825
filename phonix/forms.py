"""Form fields shared by every app: amounts and other decimals typed by people."""

import re
from decimal import Decimal

from django import forms

from phonix.exceptions import InvalidAmount
from phonix.money import amount_text_parse, parse_amount


class AmountField(forms.CharField):
    """A USDT amount: plain ASCII digits, at most 6 places, positive (or negative when allowed)."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return parse_amount(text, allow_negative=self.allow_negative)
        except InvalidAmount as error:
            raise forms.ValidationError(str(error), code="amount") from None


class PlainDecimalField(forms.DecimalField):
    """DecimalField that reads only plain ASCII digits (no exponent, underscores or other scripts)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            places = 60 if self.decimal_places is None else self.decimal_places
            return amount_text_parse(str(value), places=places)
        except InvalidAmount as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class PlainIntegerField(forms.IntegerField):
    """IntegerField that reads only ASCII digits (int() would also take "１００" and "1_0")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not re.fullmatch(r"-?[0-9]{1,30}", text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)
