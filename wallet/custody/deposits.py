"""Deposits: addresses from the xpub, the block scanner, crediting through the ledger.

The scanner walks block numbers from a cursor kept in the database and reads each block's
receipts in one node call, so chain calls grow with blocks, never with members. A deposit is
recorded once per (txid, log index) — a unique constraint — and credited only from a block at
or below the confirmed height (the solidified block by default). Blocks above it are read for
display only; a fork that drops a deposit from them marks it orphaned.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from phonix.money import QUANTUM

from ..ledger.accounts import member_account_ids, platform_account
from ..ledger.postings import HistoryLine, Posting, ledger_post_batch
from ..models import AccountCode, Deposit, DepositAddress, LedgerTransaction, ScanCursor, Transaction
from . import signals
from .blocks import BlockUnproved, block_transfers
from .chain import ChainClient, ChainUnavailable, Heights, UsdtTransfer, chain_client
from .keys import deposit_address
from .policy import custody_policy_current

if TYPE_CHECKING:
    import datetime as dt

    from accounts.models import User

logger = logging.getLogger(__name__)

SCANNER = "deposits"
CHUNK_BLOCKS = 100
TAIL_MAX_BLOCKS = 60
BLOCK_INTERVAL_MS = 3000  # TRON's slot: never more than one block in it
ISSUE_MARGIN_BLOCKS = 20  # a minute either way between the database's clock and the chain's
SCAN_LOCK = 0x50484E5844  # pg advisory lock id: one scanner at a time


def units_to_amount(units: int) -> Decimal:
    decimals: int = settings.USDT_DECIMALS
    return (Decimal(units) / Decimal(10 ** decimals)).quantize(QUANTUM)


def amount_to_units(amount: Decimal) -> int:
    decimals: int = settings.USDT_DECIMALS
    return int(amount * (10 ** decimals))


def confirmed_height(heights: Heights) -> int:
    """The highest block whose deposits may be credited, by TRON_CONFIRMATION_RULE."""
    rule = settings.TRON_CONFIRMATION_RULE
    if rule.startswith("blocks:"):
        return min(heights.head - int(rule.split(":", 1)[1]), heights.head)
    return heights.solid


# Addresses -----------------------------------------------------------------------------------


def deposit_address_get_or_create(*, user: User) -> DepositAddress:
    """The member's address; its index is the member's id, unique and never reused."""
    existing = DepositAddress.objects.filter(user=user).first()
    if existing is not None:
        return existing
    DepositAddress.objects.bulk_create(
        [DepositAddress(user=user, address=deposit_address(index=user.pk), derivation_index=user.pk)],
        ignore_conflicts=True,
    )
    return DepositAddress.objects.get(user=user)


def deposit_addresses_assign(*, user_ids: Iterable[int], batch_size: int = 5000) -> int:
    """Give every listed member an address (set-based; used by seeding and benchmarks)."""
    rows = [DepositAddress(user_id=uid, address=deposit_address(index=uid), derivation_index=uid) for uid in user_ids]
    created = DepositAddress.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
    return len(created)


# Scanning ------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    from_block: int
    to_block: int  # last block read (confirmed or not); from_block - 1 when nothing was read
    head: int
    confirmed: int
    blocks_read: int = 0
    transfers: int = 0
    recorded: int = 0
    credited: int = 0
    below_minimum: int = 0
    orphaned: int = 0
    node_calls: int = 0
    busy: bool = False
    recheck: object = None  # forks.RecheckResult, when credits made before solidification were re-checked
    stopped_at: int | None = None  # the block no answer proved; the next run starts there
    stop_reason: str = ""


def deposits_scan(
    *, from_block: int | None = None, to_block: int | None = None, client: ChainClient | None = None,
    max_blocks: int | None = None, progress: Callable[[int], object] | None = None,
) -> ScanResult:
    """Read blocks from the cursor (or the given range), record and credit deposits.

    Re-running over the same blocks changes nothing: records are upserts on (txid, log index)
    and credits are ledger postings keyed `deposit:<txid>:<log index>`.
    """
    client = client or chain_client()
    calls_before = client.calls
    heights = client.heights()
    confirmed = confirmed_height(heights)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SCAN_LOCK])
        locked = cursor.fetchone()[0]
    if not locked:
        return ScanResult(from_block=0, to_block=-1, head=heights.head, confirmed=confirmed, busy=True)
    try:
        result = _scan(client, heights, confirmed, from_block, to_block,
                       max_blocks or settings.TRON_SCAN_MAX_BLOCKS, progress)
        if Deposit.objects.filter(Q(status=Deposit.Status.CREDITED, final=False)
                                  | Q(status=Deposit.Status.REVERSAL_PENDING)).exists():
            from .forks import deposits_recheck

            result.recheck = deposits_recheck(client=client, heights=heights)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SCAN_LOCK])
    result.node_calls = client.calls - calls_before
    return result


def _cursor_start(client: ChainClient, heights: Heights, confirmed: int) -> int:
    cursor = ScanCursor.objects.filter(name=SCANNER).values_list("next_block", flat=True).first()
    if cursor is not None:
        return cursor
    start = settings.TRON_SCAN_START_BLOCK
    if start < 0:
        start = _first_issue_block(client, heights, confirmed)
    created, _ = ScanCursor.objects.get_or_create(name=SCANNER, defaults={"next_block": start})
    return created.next_block


def _first_issue_block(client: ChainClient, heights: Heights, confirmed: int) -> int:
    """A block at or before the one current when the first deposit address was issued.

    The address rows record when they were issued; TRON makes at most one block every 3 s, so
    counting back from the head block's own time by that interval (and a margin for clocks) never
    lands after it. Without any address there is nothing to miss: start at the confirmed head.
    """
    first = DepositAddress.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return confirmed
    head_ms = client.block_timestamp(heights.head)
    if head_ms is None:
        raise ChainUnavailable(f"no timestamp for head block {heights.head}")
    behind = math.ceil(max(0, head_ms - first.timestamp() * 1000) / BLOCK_INTERVAL_MS) + ISSUE_MARGIN_BLOCKS
    return max(0, min(confirmed, heights.head - behind))


def _read(client: ChainClient, first: int, last: int, result: ScanResult) -> tuple[list[UsdtTransfer], int]:
    """Transfers of the proved blocks first..k and k; stops at the first block no answer proves."""
    transfers: list[UsdtTransfer] = []
    for number in range(first, last + 1):
        try:
            transfers += block_transfers(client=client, number=number)
        except BlockUnproved as unproved:
            result.stopped_at, result.stop_reason = unproved.number, unproved.reason
            logger.warning("deposit scan stops at %s; the next run reads it again", unproved)
            return transfers, number - 1
    return transfers, last


def _scan(client: ChainClient, heights: Heights, confirmed: int, from_block: int | None, to_block: int | None,
          max_blocks: int, progress: Callable[[int], object] | None) -> ScanResult:
    use_cursor = from_block is None
    start = _cursor_start(client, heights, confirmed) if from_block is None else from_block
    last = min(confirmed, heights.head if to_block is None else to_block, start + max_blocks - 1)
    result = ScanResult(from_block=start, to_block=start - 1, head=heights.head, confirmed=confirmed)
    for chunk_start in range(start, last + 1, CHUNK_BLOCKS):
        transfers, chunk_end = _read(client, chunk_start, min(last, chunk_start + CHUNK_BLOCKS - 1), result)
        if chunk_end >= chunk_start:
            with transaction.atomic():
                _record(transfers, chunk_start, chunk_end, confirmed=True, solid=heights.solid, result=result)
                if use_cursor:  # the cursor moves over proved blocks only
                    ScanCursor.objects.filter(name=SCANNER, next_block__lt=chunk_end + 1).update(
                        next_block=chunk_end + 1, head_seen=heights.head, solid_seen=heights.solid,
                        updated_at=timezone.now(),
                    )
            result.blocks_read += chunk_end - chunk_start + 1
            result.to_block = chunk_end
            if progress:
                progress(chunk_end - chunk_start + 1)
        if result.stopped_at is not None:
            break
    caught_up = result.stopped_at is None and (result.to_block >= confirmed or start > confirmed)
    if caught_up and to_block is None:
        tail_start = max(start, confirmed + 1)
        tail_end = min(heights.head, tail_start + TAIL_MAX_BLOCKS - 1)
        if tail_end >= tail_start:
            # Only the proved part of the tail counts: a deposit a lagging backend lacks is not dropped.
            transfers, tail_end = _read(client, tail_start, tail_end, result)
            if tail_end >= tail_start:
                with transaction.atomic():
                    _record(transfers, tail_start, tail_end, confirmed=False, solid=heights.solid, result=result)
                result.blocks_read += tail_end - tail_start + 1
                result.to_block = max(result.to_block, tail_end)
    if use_cursor:
        # update() skips auto_now: set updated_at so /healthz shows when the scanner last ran.
        ScanCursor.objects.filter(name=SCANNER).update(
            head_seen=heights.head, solid_seen=heights.solid, updated_at=timezone.now()
        )
    return result


def _record(transfers: list[UsdtTransfer], first: int, last: int, *, confirmed: bool, solid: int,
            result: ScanResult) -> None:
    """Upsert our deposits of blocks first..last, orphan vanished ones, credit confirmed ones."""
    result.transfers += len(transfers)
    ours = dict(
        DepositAddress.objects.filter(address__in={t.to_address for t in transfers})
        .values_list("address", "id")
    ) if transfers else {}
    owners = dict(DepositAddress.objects.filter(id__in=ours.values()).values_list("id", "user_id")) if ours else {}
    mine = [t for t in transfers if t.to_address in ours]
    policy = custody_policy_current()
    minimum = policy.deposit_minimum
    rows = []
    for t in mine:
        amount = units_to_amount(t.amount_units)
        if not confirmed:
            status = Deposit.Status.SEEN
        elif amount < minimum:
            status = Deposit.Status.BELOW_MINIMUM
        else:
            status = Deposit.Status.CONFIRMING
        address_id = ours[t.to_address]
        rows.append((owners[address_id], address_id, t.txid, t.log_index, t.from_address, amount, t.block_number,
                     str(status)))
    with connection.cursor() as cursor:
        if rows:
            cursor.execute(
                """
                INSERT INTO wallet_deposit (user_id, deposit_address_id, txid, log_index, from_address, amount,
                                            block_number, status, policy_id, created_at)
                SELECT u, a, t, l, f, m, b, s, %s, now()
                FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::int[], %s::text[], %s::numeric[],
                            %s::bigint[], %s::text[]) AS r(u, a, t, l, f, m, b, s)
                ON CONFLICT (txid, log_index) DO UPDATE SET
                    block_number = EXCLUDED.block_number,
                    policy_id = CASE WHEN wallet_deposit.status IN ('credited', 'below_minimum')
                        THEN wallet_deposit.policy_id ELSE EXCLUDED.policy_id END,
                    status = CASE
                        WHEN wallet_deposit.status IN ('credited', 'below_minimum', 'reversed', 'reversal_pending')
                            THEN wallet_deposit.status
                        WHEN EXCLUDED.status = 'seen' AND wallet_deposit.status IN ('seen', 'confirming')
                            THEN 'confirming'
                        ELSE EXCLUDED.status END
                """,
                [policy.pk, *([r[i] for r in rows] for i in range(8))],
            )
            result.recorded += len(rows)
            _seen_notify(txids=[r[2] for r in rows], log_indexes=[r[3] for r in rows])
        # A deposit we saw in these blocks earlier but that is not there now was dropped by a fork.
        cursor.execute(
            """
            UPDATE wallet_deposit SET status = 'orphaned'
            WHERE block_number BETWEEN %s AND %s AND status IN ('seen', 'confirming')
              AND NOT ((txid, log_index) IN (SELECT * FROM unnest(%s::text[], %s::int[])))
            """,
            [first, last, [r[2] for r in rows], [r[3] for r in rows]],
        )
        result.orphaned += cursor.rowcount
        if rows:
            cursor.execute(
                "UPDATE wallet_depositaddress SET last_checked = now() WHERE id = ANY(%s)",
                [sorted({r[1] for r in rows})],
            )
    if confirmed:
        result.below_minimum += sum(1 for r in rows if r[7] == Deposit.Status.BELOW_MINIMUM)
        result.credited += _credit(first, last, solid=solid)


def _credit(first: int, last: int, *, solid: int) -> int:
    """Credit the confirmed, not yet credited deposits of blocks first..last through the ledger.

    A credit from a block above the solidified one (TRON_CONFIRMATION_RULE=blocks:N) is not final:
    wallet/custody/forks.py re-checks it until its block is solidified.
    """
    pending = list(
        Deposit.objects.filter(block_number__gte=first, block_number__lte=last, status=Deposit.Status.CONFIRMING)
        .select_related("deposit_address")
        .order_by("id")
    )
    if not pending:
        return 0
    custody = platform_account(AccountCode.CUSTODY).id
    mains = member_account_ids(user_ids={d.user_id for d in pending}, code=AccountCode.MAIN)
    postings = [
        Posting(
            key=f"deposit:{d.txid}:{d.log_index}",
            kind=LedgerTransaction.Kind.DEPOSIT,
            entries=[(custody, -d.amount), (mains[d.user_id], d.amount)],
            memo=f"USDT deposit {d.txid}:{d.log_index}",
            history=[HistoryLine(
                user_id=d.user_id, type=Transaction.Type.DEPOSIT, amount=d.amount, description="USDT (TRC20) deposit",
                txn_hash=d.txid, wallet_address=d.deposit_address.address,
            )],
        )
        for d in pending
    ]
    ledger_post_batch(postings=postings)
    ids = [d.id for d in pending]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE wallet_deposit d SET status = 'credited', credited_at = now(), ledger_transaction_id = lt.id,
                                        final = d.block_number <= %s
            FROM wallet_ledgertransaction lt
            WHERE d.id = ANY(%s) AND lt.idempotency_key = 'deposit:' || d.txid || ':' || d.log_index
            """,
            [solid, ids],
        )
    from phonix.notifications import notify_set

    signals.deposits_credited.send(sender=Deposit, deposit_ids=ids)
    notify_set(kind="deposit_credited", params={"ids": ids}, source_sql="""
        SELECT user_id, 'deposit:' || id || ':credited', jsonb_build_object('amount', amount::text, 'txid', txid)
        FROM wallet_deposit WHERE id = ANY(%(ids)s) AND status = 'credited'
    """)
    return len(ids)


def _seen_notify(*, txids: list[str], log_indexes: list[int]) -> None:
    """Tell members of deposits still waiting for confirmation (a solid one is credited at once)."""
    from phonix.notifications import notify_set

    notify_set(kind="deposit_seen", params={"txids": txids, "log_indexes": log_indexes}, source_sql="""
        SELECT user_id, 'deposit:' || id || ':seen', jsonb_build_object('amount', amount::text, 'txid', txid)
        FROM wallet_deposit WHERE (txid, log_index) IN (SELECT * FROM unnest(%(txids)s::text[], %(log_indexes)s::int[]))
          AND status IN ('seen', 'confirming')
    """)


def deposits_credited_notify(*, deposit_ids: list[int]) -> int:
    """Email each member whose deposit was credited."""
    from django.core.mail import send_mass_mail
    from django.utils.translation import gettext as _

    from phonix.notifications import email_wanted

    credited = list(Deposit.objects.filter(id__in=deposit_ids, status=Deposit.Status.CREDITED).select_related("user"))
    wanted = email_wanted(user_ids=[deposit.user_id for deposit in credited], topic="deposits")
    messages = []
    for deposit in credited:
        if not deposit.user.email or deposit.user_id not in wanted:
            continue
        body = _("Your deposit of %(amount)s USDT (TRC20) has been credited to your main balance.\n"
                 "Transaction: %(txid)s") % {"amount": f"{deposit.amount:.2f}", "txid": deposit.txid}
        messages.append((_("Deposit credited"), body, settings.DEFAULT_FROM_EMAIL, [deposit.user.email]))
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(messages)


# Custody against the chain -------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyReport:
    ledger_custody: Decimal  # USDT the ledger says the platform holds on chain
    hot_wallet: Decimal
    deposit_addresses: Decimal
    addresses_checked: int

    @property
    def on_chain(self) -> Decimal:
        return self.hot_wallet + self.deposit_addresses

    @property
    def difference(self) -> Decimal:
        return self.on_chain - self.ledger_custody


def custody_compare(*, client: ChainClient | None = None) -> CustodyReport:
    """Compare the custody account with USDT held by the hot wallet and deposit addresses.

    Only addresses that by the records hold USDT, or have deposits or a sweep in flight, are
    read, in batches (wallet/custody/balances.py).
    """
    from .balances import usdt_balances
    from .holdings import holdings

    client = client or chain_client()
    custody = platform_account(AccountCode.CUSTODY).balance
    hot = units_to_amount(client.usdt_balance(settings.TRON_HOT_WALLET_ADDRESS)) if settings.TRON_HOT_WALLET_ADDRESS \
        else Decimal(0)
    addresses = [h.address for h in holdings()]
    held = sum(usdt_balances(client=client, addresses=addresses).values())
    return CustodyReport(ledger_custody=-custody, hot_wallet=hot, deposit_addresses=units_to_amount(held),
                         addresses_checked=len(addresses))


class ScanLag(TypedDict):
    next_block: int | None
    behind: int | None
    updated_at: dt.datetime | None


def scan_lag(*, now: dt.datetime | None = None) -> ScanLag:
    """What /healthz and the admin show about the scanner."""
    cursor = ScanCursor.objects.filter(name=SCANNER).first()
    if cursor is None:
        return {"next_block": None, "behind": None, "updated_at": None}
    return {"next_block": cursor.next_block, "behind": max(0, cursor.solid_seen + 1 - cursor.next_block),
            "updated_at": cursor.updated_at or timezone.now()}


# What the deposit page shows -----------------------------------------------------------------


@dataclass(frozen=True)
class DepositRow:
    deposit: Deposit
    confirmations: int | None  # blocks on top of the deposit's block, while it is not credited


@dataclass(frozen=True)
class DepositPage:
    address: str
    qr_svg: str
    minimum: Decimal
    confirmation_blocks: int | None  # None: "once the block is solidified"
    rows: list[DepositRow]


def deposit_page(*, user: User, limit: int = 10) -> DepositPage:
    from accounts.selectors import qr_svg

    address = deposit_address_get_or_create(user=user).address
    cursor = ScanCursor.objects.filter(name=SCANNER).values_list("head_seen", flat=True).first() or 0
    rule = settings.TRON_CONFIRMATION_RULE
    rows = [
        DepositRow(deposit=d, confirmations=max(0, cursor - d.block_number) if d.status in ("seen", "confirming")
                   else None)
        for d in Deposit.objects.filter(user=user).order_by("-created_at", "-id")[:limit]
    ]
    return DepositPage(
        address=address, qr_svg=qr_svg(address), minimum=custody_policy_current().deposit_minimum,
        confirmation_blocks=int(rule.split(":", 1)[1]) if rule.startswith("blocks:") else None, rows=rows,
    )


def custody_overview() -> dict[str, object]:
    """For the admin: hot wallet USDT and TRX, pending withdrawals, member balances against the chain."""
    from django.db.models import Count, Sum

    from ..models import LedgerAccount, Withdrawal
    from .gas import gas_totals

    open_withdrawals = Withdrawal.objects.filter(status__in=Withdrawal.OPEN).aggregate(
        n=Count("id"), total=Sum("amount")
    )
    members = LedgerAccount.objects.filter(user__isnull=False).aggregate(total=Sum("balance"))["total"] or Decimal(0)
    # Credits a fork removed that the member's balance could not cover (wallet/custody/forks.py): a shortfall.
    unreversed = Deposit.objects.filter(status=Deposit.Status.REVERSAL_PENDING).aggregate(n=Count("id"),
                                                                                          total=Sum("amount"))
    overview: dict[str, object] = {
        "withdrawals_open": open_withdrawals["n"], "withdrawals_open_total": open_withdrawals["total"] or 0,
        "member_balances": members, "chain_error": "", "reversals_pending": unreversed["n"],
        "reversals_pending_total": unreversed["total"] or 0,
    }
    try:
        client = chain_client()
        report = custody_compare(client=client)
        hot_trx = client.trx_balance(settings.TRON_HOT_WALLET_ADDRESS) if settings.TRON_HOT_WALLET_ADDRESS else 0
        gas = gas_totals(client=client)
    except Exception as error:  # the overview still shows the ledger side when the node is down
        overview["chain_error"] = f"{type(error).__name__}: {error}"[:200]
        return overview
    overview.update(report=report, hot_trx=Decimal(hot_trx) / 10**6, gas={
        "sent": Decimal(gas.sent_sun + gas.fees_sun) / 10**6, "burned": Decimal(gas.burned_sun) / 10**6,
        "reclaimed": Decimal(gas.reclaimed_sun) / 10**6, "left": Decimal(gas.left_sun or 0) / 10**6,
        "addresses": gas.addresses,
    })
    return overview
