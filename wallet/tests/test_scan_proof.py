"""The scanner against answers real nodes give: a lagging backend's [] and {}, rate-limit bodies."""

import pytest

from accounts.tests.factories import UserFactory
from wallet.custody.deposits import deposit_address_get_or_create, deposits_scan
from wallet.models import Deposit, ScanCursor

from .custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401

pytestmark = pytest.mark.django_db
RECEIPTS = "wallet/gettransactioninfobyblocknum"


@pytest.fixture
def address(signer):  # noqa: F811
    return deposit_address_get_or_create(user=UserFactory()).address


def test_a_lagging_backends_empty_receipts_are_not_an_empty_block(address, devnode, invariants):  # noqa: F811
    devnode.op("deposit", to=address, amount=9 * SUN)
    devnode.solidify()
    # Every other receipts call goes to a backend that has none of these blocks and answers [].
    devnode.fault(lagging_blocks=1000, lagging_path=RECEIPTS)
    result = deposits_scan()
    assert result.stopped_at is None
    assert Deposit.objects.get().status == Deposit.Status.CREDITED


def test_error_bodies_stop_the_scan_at_the_block_and_the_next_run_reads_it(address, devnode, invariants):  # noqa: F811
    devnode.op("deposit", to=address, amount=9 * SUN)
    devnode.solidify()
    cursor_before = ScanCursor.objects.filter(name="deposits").values_list("next_block", flat=True).first()
    # Every try of the first block is refused, the client's own retries included.
    devnode.fault(error_bodies=1000, error_path=RECEIPTS)
    result = deposits_scan()
    assert result.stopped_at == result.from_block and "lack of computing resources" in result.stop_reason
    assert result.blocks_read == 0 and not Deposit.objects.exists()
    assert ScanCursor.objects.get(name="deposits").next_block == (cursor_before or result.from_block)
    devnode.fault(error_bodies=0)  # the node answers again
    again = deposits_scan()
    assert again.from_block == result.from_block and again.stopped_at is None
    assert Deposit.objects.get().status == Deposit.Status.CREDITED


def test_a_tail_deposit_a_lagging_backend_lacks_is_not_shown_as_dropped(address, devnode):  # noqa: F811
    devnode.op("deposit", to=address, amount=9 * SUN)
    devnode.mine()
    deposits_scan()
    assert Deposit.objects.get().status == Deposit.Status.SEEN
    devnode.mine()
    for _ in range(2):  # arming again restarts the round robin: in one run the lagging backend has the block
        devnode.fault(lagging_blocks=1000, lagging_path=RECEIPTS)
        deposits_scan()
        assert Deposit.objects.get().status != Deposit.Status.ORPHANED
