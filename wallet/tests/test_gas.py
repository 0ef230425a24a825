"""TRX given to deposit addresses for sweeps: staff see it, and reclaim_gas takes back what is left."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.tests.factories import UserFactory, verified_login
from wallet.custody.deposits import custody_overview
from wallet.custody.gas import BANDWIDTH_RESERVE_SUN, gas_totals
from wallet.models import ChainTransfer

from .custody_fixtures import SUN, chain_settings, devnode, signer, swept_address  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def swept(signer, devnode, settings):  # noqa: F811
    """An address that received 50 USDT and was swept with 20 TRX of gas."""
    return swept_address(devnode, settings)


def _reclaim(*args) -> str:
    out = StringIO()
    call_command("reclaim_gas", *args, stdout=out)
    return out.getvalue()


def test_staff_see_the_gas_spent_and_left_on_swept_addresses(swept, devnode, signer, client):  # noqa: F811
    left = devnode.trx_of(swept)
    totals = gas_totals()
    assert totals.sent_sun == 20 * SUN and totals.fees_sun > 0  # the gas wallet paid the activation
    assert 0 < totals.burned_sun < 20 * SUN and totals.left_sun == left == 20 * SUN - totals.burned_sun
    assert totals.addresses == 1
    overview = custody_overview()
    assert overview["gas"]["left"] == Decimal(left) / SUN and overview["gas"]["addresses"] == 1
    staff = UserFactory()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    verified_login(client, staff)
    page = client.get(reverse("admin:wallet_custodypolicy_change", args=[1])).content.decode()
    assert "Gas left on swept addresses" in page and f"{Decimal(left) / SUN:.2f} TRX (1)" in page


def test_reclaim_gas_sends_what_is_left_back_to_the_gas_wallet(swept, devnode, signer):  # noqa: F811
    left = devnode.trx_of(swept)
    line = _reclaim("--dry-run")
    assert line.startswith("dry run: 1 swept addresses hold") and "1 to reclaim" in line and "0 sent" in line
    assert not ChainTransfer.objects.filter(purpose=ChainTransfer.Purpose.GAS_RECLAIM).exists()
    gas_before = devnode.trx_of(signer.gas_address)
    assert "1 sent" in _reclaim()
    assert "0 to reclaim" in _reclaim()  # one reclaim in flight per address: nothing signed twice
    devnode.solidify()
    assert "1 earlier reclaims confirmed" in _reclaim()
    assert devnode.trx_of(signer.gas_address) == gas_before + left - BANDWIDTH_RESERVE_SUN
    assert devnode.trx_of(swept) <= BANDWIDTH_RESERVE_SUN
    totals = gas_totals()
    assert totals.reclaimed_sun == left - BANDWIDTH_RESERVE_SUN and totals.addresses == 0
    assert "0 swept addresses hold" in _reclaim()
