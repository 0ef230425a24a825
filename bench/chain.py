"""TRON custody against a devnode process: the custody check's node calls, scanning blocks of
deposits, sending withdrawals.

The devnode runs as its own process (`manage.py tron_devnode`) on a free port. The client-side
rate limit is switched off here: against TronGrid the limit, not Phonix, sets the pace, which is
why the node calls per block are printed too.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import requests
from _common import ROOT, members_make, report, scaled, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402
from tronpy.keys import PrivateKey  # noqa: E402

from wallet.custody.chain import chain_client, chain_clients_reset  # noqa: E402
from wallet.custody.deposits import deposit_addresses_assign, deposits_scan  # noqa: E402
from wallet.custody.keys import account_xpub, mnemonic_generate  # noqa: E402
from wallet.custody.reconciliation import custody_reconcile  # noqa: E402
from wallet.custody.withdrawals import withdrawal_request, withdrawals_process  # noqa: E402
from wallet.ledger.adjustments import balance_adjust  # noqa: E402
from wallet.models import Deposit, DepositAddress, ScanCursor, Withdrawal  # noqa: E402

User = get_user_model()
SUN = 1_000_000
SOLID_LAG = 19


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "tron_devnode", "--port", str(self.port), "--block-time", "0",
             "--solid-lag", str(SOLID_LAG), "--snapshot", ""],
            cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "phonix.settings.test"},
            stdout=subprocess.DEVNULL,
        )
        self.session = requests.Session()
        for _ in range(200):
            try:
                self.op("info")
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the devnode did not start")

    def op(self, name: str, /, **body) -> dict:
        response = self.session.post(f"{self.url}devnode/{name}", json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def bench_reconcile(node: Node, members: int) -> None:
    """Node calls of the custody check with `unswept` addresses holding USDT among `members`."""
    unswept = scaled(1000)
    hot = PrivateKey.random().public_key.to_base58check_address()
    settings.TRON_HOT_WALLET_ADDRESS = hot
    node.op("mint_usdt", address=hot, amount=1_000_000 * SUN)
    targets = list(DepositAddress.objects.order_by("?").values_list("address", flat=True)[:unswept])
    first_block = node.op("info")["head"] + 1
    node.op("deposit_many", transfers=[[a, 7 * SUN] for a in targets], per_block=10)
    node.op("mine", blocks=SOLID_LAG + 1)
    ScanCursor.objects.update_or_create(name="deposits", defaults={"next_block": first_block})
    deposits_scan(max_blocks=unswept + SOLID_LAG + 10)
    client = chain_client()
    for label in ("first", "again"):
        started = time.perf_counter()
        result = custody_reconcile(client=client)
        elapsed = time.perf_counter() - started
        assert result.ok and result.addresses_checked == len(targets), (result.line(), len(targets))
        print(f"# reconcile ({label}): {result.line()}", flush=True)
        # first: every deposit is new since the last check (their blocks read 100 a call);
        # again: nothing new, only the addresses holding USDT are read, in batches.
        report(f"chain_reconcile_{label}_calls", result.node_calls, "calls", f"{members}/{len(targets)}unswept")
        report(f"chain_reconcile_{label}_s", elapsed, "s", f"{members}/{len(targets)}unswept")


def bench_scan(node: Node, user_ids: list[int]) -> None:
    members = len(user_ids)
    blocks = scaled(1000)
    per_block = 10
    targets = list(DepositAddress.objects.order_by("?").values_list("address", flat=True)[: blocks * per_block])
    while len(targets) < blocks * per_block:
        targets += targets[: blocks * per_block - len(targets)]
    first_block = node.op("info")["head"] + 1
    for start in range(0, len(targets), 2000):
        chunk = targets[start : start + 2000]
        node.op("deposit_many", transfers=[[a, 5 * SUN] for a in chunk], per_block=per_block)
    node.op("mine", blocks=SOLID_LAG + 1)
    ScanCursor.objects.update_or_create(name="deposits", defaults={"next_block": first_block})
    started = time.perf_counter()
    result = deposits_scan(max_blocks=blocks + SOLID_LAG + 10)
    elapsed = time.perf_counter() - started
    credited = Deposit.objects.filter(status=Deposit.Status.CREDITED, block_number__gte=first_block).count()
    assert credited == len(targets), (credited, len(targets))
    print(f"# scanned {result.blocks_read} blocks, {len(targets)} transfers, {members} member addresses", flush=True)
    report("chain_scan_1000_blocks_s", elapsed, "s", members)
    report("chain_calls_per_block", result.node_calls / result.blocks_read, "calls", result.blocks_read)


def bench_withdrawals(node: Node) -> None:
    count = scaled(500)
    hot = PrivateKey.random()
    os.environ["TRON_HOT_WALLET_KEY"] = hot.hex()
    settings.TRON_HOT_WALLET_ADDRESS = hot.public_key.to_base58check_address()
    node.op("fund_trx", address=settings.TRON_HOT_WALLET_ADDRESS, amount=1_000_000 * SUN)
    node.op("mint_usdt", address=settings.TRON_HOT_WALLET_ADDRESS, amount=100_000_000 * SUN)
    node.op("mine", blocks=SOLID_LAG + 1)
    user_ids = members_make(count, "withdrawer")
    long_ago = timezone.now() - timedelta(days=2)
    users = list(User.objects.filter(pk__in=user_ids))
    for user in users:
        user.set_password("bench-password")
        user.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
        user.withdrawal_address_changed_at = long_ago
    User.objects.bulk_update(users, ["password", "trc20_wallet_address", "withdrawal_address_changed_at"],
                             batch_size=1000)
    for user in users:
        balance_adjust(user_id=user.pk, amount=Decimal("100"), reason="bench funding", created_by_id=None)
        withdrawal_request(user=user, amount=Decimal("50"), password="bench-password", token=str(uuid.uuid4()))
    Withdrawal.objects.update(status=Withdrawal.Status.APPROVED)
    started = time.perf_counter()
    withdrawals_process()
    node.op("mine", blocks=SOLID_LAG + 1)
    withdrawals_process()
    elapsed = time.perf_counter() - started
    done = Withdrawal.objects.filter(status=Withdrawal.Status.COMPLETED).count()
    assert done == count, (done, count)
    report("chain_withdrawals_500_s", elapsed, "s", count)


def main() -> None:
    node = Node()
    try:
        mnemonic = mnemonic_generate()
        settings.TRON_NODE_URL = node.url
        settings.USDT_CONTRACT = node.op("info")["usdt"]
        settings.TRON_XPUB = account_xpub(mnemonic=mnemonic)
        settings.TRON_RATE_LIMIT_PER_SECOND = 0
        settings.TRON_SCAN_MAX_BLOCKS = 100_000
        settings.TRON_MULTICALL_CONTRACT = node.op("info")["multicall"]
        settings.CELERY_TASK_ALWAYS_EAGER = True
        chain_clients_reset()
        user_ids = members_make(scaled(100_000), "depositor")
        deposit_addresses_assign(user_ids=user_ids)
        bench_reconcile(node, len(user_ids))
        bench_scan(node, user_ids)
        bench_withdrawals(node)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
