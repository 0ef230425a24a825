from decimal import Decimal

from django.utils import translation

from phonix.templatetags.money import usdt


def test_usdt_groups_thousands_and_rounds_down_in_every_language():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert usdt(Decimal("1234567.899")) == "1,234,567.89"
            assert usdt(Decimal("-1000.001")) == "-1,000.00"
            assert usdt(Decimal("999.999999")) == "999.99"
            assert usdt("0") == "0.00"
    assert usdt(None) == usdt("") == "—"
