"""Custody reconciled item by item against the solidified chain.

A comparison of totals hides errors that cancel out: two unpaid "completed" withdrawals and a
double payment sum to a surplus. So every item must stand on its own:

- a completed withdrawal has exactly one solidified USDT transfer, of exactly its net amount,
  from the hot wallet to its address, among the transactions Phonix signed for it; a failed or
  rejected one has none;
- a completed sweep's transfer moved exactly its amount from the address to the hot wallet;
- a credited deposit has its ledger posting to its member, every deposit posting has its deposit,
  and the solidified receipts of its block hold the Transfer to the member's address;
- each deposit address holds what it received minus what was swept (wallet/custody/holdings.py);
- the hot wallet and addresses together hold at least the custody account, less what is in flight.

An item that matched the solidified chain is recorded (`CustodyProof`) and never asked again, so
node calls grow with the items since the last check and the addresses holding USDT, never with
members. Any unexplained difference, either way, is a `Problem`; the caller fails on any.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from tronpy.keys import to_base58check_address, to_hex_address

from ..ledger.accounts import platform_account
from ..models import AccountCode, ChainTransfer, CustodyProof, Deposit, DepositSweep, Withdrawal
from .balances import usdt_balances
from .blocks import solid_blocks
from .chain import TRANSFER_TOPIC, ChainClient, ChainUnavailable, JsonObject, chain_client
from .deposits import units_to_amount
from .holdings import holdings

TERMINAL = (Withdrawal.Status.COMPLETED, Withdrawal.Status.FAILED, Withdrawal.Status.REJECTED)
IN_FLIGHT = (Withdrawal.Status.SIGNED, Withdrawal.Status.BROADCAST)
SELECTOR_TRANSFER = "a9059cbb"  # transfer(address,uint256)
Touched = dict[int, list[tuple[str, int]]]
# The kinds of item a proof stands for.
Item = TypeVar("Item", Withdrawal, DepositSweep, Deposit)

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Problem:
    item: str  # "withdrawal 12", "address T…", "deposit <txid>:<log>"
    detail: str

    def __str__(self) -> str:
        return f"{self.item}: {self.detail}"


@dataclass
class CustodyReconciliation:
    ledger_custody: Decimal = Decimal(0)
    hot_wallet: Decimal = Decimal(0)
    deposit_addresses: Decimal = Decimal(0)
    addresses_checked: int = 0
    in_flight: Decimal = Decimal(0)  # withdrawals sent but not yet completed in the ledger
    proved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unproved: int = 0  # items the node could not answer for yet; asked again next time
    problems: list[Problem] = field(default_factory=list)
    node_calls: int = 0

    @property
    def on_chain(self) -> Decimal:
        return self.hot_wallet + self.deposit_addresses

    @property
    def difference(self) -> Decimal:
        return self.on_chain - self.ledger_custody

    @property
    def ok(self) -> bool:
        return not self.problems and self.difference + self.in_flight >= 0

    def line(self) -> str:
        proved = ", ".join(f"{n} {kind}s" for kind, n in sorted(self.proved.items())) or "nothing new"
        return (f"custody: ledger {self.ledger_custody}, on chain {self.on_chain} (hot wallet {self.hot_wallet}, "
                f"{self.addresses_checked} deposit addresses {self.deposit_addresses}), "
                f"difference {self.difference:+}, in flight {self.in_flight}; proved {proved}, "
                f"{self.unproved} not provable yet, {len(self.problems)} problems")


def custody_check() -> tuple[str, list[Problem], bool]:
    """The custody line for reconcile_ledger, the problems found, and whether custody holds."""
    if not settings.TRON_HOT_WALLET_ADDRESS:
        return "custody: no hot wallet configured, chain not compared", [], True
    try:
        report = custody_reconcile()
    except ChainUnavailable as error:
        return f"custody: TRON node unavailable ({error}), chain not compared", [], True
    from phonix.readings import custody_reading_record

    custody_reading_record(hot_wallet=report.hot_wallet, deposit_addresses=report.deposit_addresses,
                           ledger_custody=report.ledger_custody, problems=len(report.problems))
    return report.line(), report.problems, report.ok


def custody_item_accept(*, kind: str, item_id: int, actor: User, reason: str) -> CustodyProof:
    """Staff accept a listed withdrawal, sweep or deposit once they corrected it by other means
    (paid by hand, returned with adjust_balance, booked as a loss): it is not checked again."""
    from django.db import transaction

    from phonix.audit import audit_record
    from phonix.exceptions import PhonixError

    if kind not in CustodyProof.Kind.values:
        raise PhonixError(f"unknown kind {kind!r}: one of {', '.join(CustodyProof.Kind.values)}")
    if not reason.strip():
        raise PhonixError("say why the item is accepted (--reason)")
    models: dict[str, type[Withdrawal] | type[DepositSweep] | type[Deposit]] = {
        "withdrawal": Withdrawal, "sweep": DepositSweep, "deposit": Deposit}
    model = models[kind]
    if not model.objects.filter(pk=item_id).exists():
        raise PhonixError(f"no {kind} {item_id}")
    with transaction.atomic():
        proof, created = CustodyProof.objects.get_or_create(
            kind=kind, item_id=item_id, defaults={"accepted_by": actor, "reason": reason[:500]})
        if created:
            audit_record(actor_id=actor.pk, action="custody_item_accept", target=f"{kind} {item_id}",
                         after={"kind": kind, "item_id": item_id}, reason=reason)
    return proof


def custody_reconcile(*, client: ChainClient | None = None) -> CustodyReconciliation:
    client = client or chain_client()
    calls_before = client.calls
    report = CustodyReconciliation()
    # Sweeps and deposits that match the chain, by address: proved only once their address balances,
    # so an address with a difference stays in the check until it is resolved.
    touched: Touched = defaultdict(list)
    _withdrawals(client, report)
    _sweeps(client, report, touched)
    _deposit_postings(report)
    _deposits(client, report, touched)
    _addresses(client, report, touched)
    report.node_calls = client.calls - calls_before
    return report


# Reading receipts ---------------------------------------------------------------------------


def _receipt(client: ChainClient, txid: str) -> JsonObject:
    """The solidified receipt of txid, {} when the solidified chain does not have it.

    Anything else (a rate-limit body, a receipt for another id, one without a block or result)
    proves nothing and stops the check: the node is asked again next time.
    """
    info = client.request("walletsolidity/gettransactioninfobyid", {"value": txid})
    if info == {}:
        return {}
    if (isinstance(info, dict) and info.get("id") == txid and info.get("blockNumber") is not None
            and info.get("receipt", {}).get("result")):
        return info
    raise ChainUnavailable(f"no usable receipt for {txid}: {str(info)[:120]}")


def _usdt_moved(info: JsonObject, *, client: ChainClient, source: str, to: str) -> int:
    """USDT units a successful receipt moved from `source` to `to`."""
    if info.get("result") == "FAILED" or info.get("receipt", {}).get("result") != "SUCCESS":
        return 0
    moved = 0
    for log in info.get("log") or []:
        topics = log.get("topics") or []
        if (len(topics) == 3 and topics[0] == TRANSFER_TOPIC and _is_usdt(log, client)
                and _topic_address(topics[1]) == source and _topic_address(topics[2]) == to):
            moved += int(log.get("data") or "0", 16)
    return moved


def _topic_address(topic: str) -> str:
    address: str = to_base58check_address("41" + topic[-40:])
    return address


def _is_usdt(log: JsonObject, client: ChainClient) -> bool:
    address = log.get("address", "")
    try:
        hex_address: str = "41" + address.lower() if len(address) == 40 else to_hex_address(address)
        return hex_address == client.usdt_hex
    except Exception:
        return False


def _prove(kind: str, item_ids: list[int], report: CustodyReconciliation) -> None:
    if item_ids:
        CustodyProof.objects.bulk_create([CustodyProof(kind=kind, item_id=i) for i in item_ids],
                                         ignore_conflicts=True)
        report.proved[kind] += len(item_ids)


def _unproved(model: type[Item], kind: str) -> QuerySet[Item]:
    return model.objects.exclude(pk__in=CustodyProof.objects.filter(kind=kind).values("item_id"))


# Withdrawals ---------------------------------------------------------------------------------


def _withdrawals(client: ChainClient, report: CustodyReconciliation) -> None:
    hot = settings.TRON_HOT_WALLET_ADDRESS
    report.in_flight = sum(Withdrawal.objects.filter(status__in=IN_FLIGHT).values_list("net_amount", flat=True),
                           Decimal(0))
    pending = list(_unproved(Withdrawal, CustodyProof.Kind.WITHDRAWAL).filter(status__in=TERMINAL).order_by("id"))
    txids: dict[int, list[str]] = defaultdict(list)
    for withdrawal_id, txid in ChainTransfer.objects.filter(
        purpose=ChainTransfer.Purpose.WITHDRAWAL, withdrawal__in=[w.pk for w in pending]
    ).order_by("id").values_list("withdrawal_id", "txid"):
        txids[withdrawal_id].append(txid)
    proved = []
    for withdrawal in pending:
        payments = []
        for txid in txids[withdrawal.pk]:
            moved = _usdt_moved(_receipt(client, txid), client=client, source=hot, to=withdrawal.address)
            if moved:
                payments.append((txid, moved))
        problem = _withdrawal_problem(withdrawal, payments)
        if problem:
            report.problems.append(Problem(f"withdrawal {withdrawal.pk}", problem))
        else:
            proved.append(withdrawal.pk)
    _prove(CustodyProof.Kind.WITHDRAWAL, proved, report)


def _withdrawal_problem(withdrawal: Withdrawal, payments: list[tuple[str, int]]) -> str:
    net = int(withdrawal.net_amount * 10**settings.USDT_DECIMALS)
    paid = ", ".join(f"{units_to_amount(units)} in {txid}" for txid, units in payments)
    if withdrawal.status != Withdrawal.Status.COMPLETED:
        return f"{withdrawal.status} but paid on chain: {paid}" if payments else ""
    if not payments:
        return f"completed but no solidified transfer pays {withdrawal.net_amount} to {withdrawal.address}"
    if len(payments) > 1:
        return f"paid {len(payments)} times: {paid}"
    if payments[0][1] != net:
        return f"paid {paid}, its net amount is {withdrawal.net_amount}"
    return ""


# Sweeps --------------------------------------------------------------------------------------


def _sweeps(client: ChainClient, report: CustodyReconciliation, touched: Touched) -> None:
    hot = settings.TRON_HOT_WALLET_ADDRESS
    pending = list(_unproved(DepositSweep, CustodyProof.Kind.SWEEP).filter(status=DepositSweep.Status.COMPLETED)
                   .select_related("deposit_address").order_by("id"))
    txids: dict[int, list[str]] = defaultdict(list)
    for sweep_id, txid in ChainTransfer.objects.filter(
        purpose=ChainTransfer.Purpose.SWEEP, sweep__in=[s.pk for s in pending]
    ).order_by("id").values_list("sweep_id", "txid"):
        txids[sweep_id].append(txid)
    for sweep in pending:
        address = sweep.deposit_address.address
        moved = sum(_usdt_moved(_receipt(client, txid), client=client, source=address, to=hot)
                    for txid in txids[sweep.pk])
        if moved != sweep.amount_units:
            report.problems.append(Problem(
                f"sweep {sweep.pk}", f"recorded as moving {units_to_amount(sweep.amount_units)} from {address}, "
                                     f"the solidified chain shows {units_to_amount(moved)}"))
        else:
            touched[sweep.deposit_address_id].append((CustodyProof.Kind.SWEEP, sweep.pk))


# Deposits ------------------------------------------------------------------------------------


def _deposit_postings(report: CustodyReconciliation) -> None:
    """Every credited deposit has its posting to its member's main account, and every posting its deposit."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT 'deposit ' || d.txid || ':' || d.log_index, 'credited ' || d.amount || ' but '
                   || CASE WHEN lt.id IS NULL THEN 'no ledger posting exists'
                      ELSE 'the posting credits ' || coalesce(e.amount::text, 'nothing') || ' to its member' END
            FROM wallet_deposit d
            LEFT JOIN wallet_ledgertransaction lt ON lt.idempotency_key = 'deposit:' || d.txid || ':' || d.log_index
            LEFT JOIN wallet_ledgeraccount a ON a.user_id = d.user_id AND a.code = 'main'
            LEFT JOIN wallet_ledgerentry e ON e.transaction_id = lt.id AND e.account_id = a.id
            WHERE d.status = 'credited' AND (e.amount IS DISTINCT FROM d.amount)
            UNION ALL
            SELECT 'ledger transaction ' || lt.idempotency_key, 'a deposit posting without a credited deposit'
            FROM wallet_ledgertransaction lt
            WHERE lt.kind = 'deposit' AND lt.idempotency_key ~ '^deposit:[^:]+:[0-9]+$'
              AND NOT EXISTS (SELECT 1 FROM wallet_deposit d
                              WHERE d.status IN ('credited', 'reversed', 'reversal_pending')
                              AND lt.idempotency_key = 'deposit:' || d.txid || ':' || d.log_index)
            UNION ALL
            SELECT 'deposit ' || d.txid || ':' || d.log_index,
                   CASE WHEN d.status = 'reversed'
                        THEN 'removed by a fork and marked reversed, but no reversal posting exists'
                   ELSE 'removed by a fork after ' || d.amount || ' was credited to member ' || d.user_id
                        || '; not reversed (their main balance is short), their withdrawals are frozen' END
            FROM wallet_deposit d
            WHERE d.status = 'reversal_pending'
               OR (d.status = 'reversed' AND NOT EXISTS (
                   SELECT 1 FROM wallet_ledgertransaction lt
                   WHERE lt.idempotency_key = 'deposit:' || d.txid || ':' || d.log_index || ':reversal'))
            ORDER BY 1
            """
        )
        report.problems += [Problem(item, detail) for item, detail in cursor.fetchall()]


def _deposits(client: ChainClient, report: CustodyReconciliation, touched: Touched) -> None:
    """Credited deposits since the last check, against their solidified blocks.

    Most deposits are a plain `transfer(to, amount)` call to the USDT contract: the block itself
    (100 blocks a call) proves those. The rest (transfers made by other contracts, a block the
    node did not return) are proved by their block's solidified receipts, a call a block.
    """
    # Credits made before solidification are re-checked by the scanner until final (wallet/custody/forks.py).
    pending = list(_unproved(Deposit, CustodyProof.Kind.DEPOSIT).filter(status=Deposit.Status.CREDITED, final=True)
                   .select_related("deposit_address").order_by("block_number", "id"))
    by_block: dict[int, list[Deposit]] = defaultdict(list)
    for deposit in pending:
        by_block[deposit.block_number].append(deposit)
    blocks = solid_blocks(client=client, numbers=list(by_block)) if by_block else {}
    for number, deposits in by_block.items():
        calls = _direct_transfers(blocks.get(number), client)
        rest = []
        for deposit in deposits:
            if calls.get(deposit.txid) == _deposit_transfer(deposit):
                touched[deposit.deposit_address_id].append((CustodyProof.Kind.DEPOSIT, deposit.pk))
            else:
                rest.append(deposit)
        if rest:
            _deposits_by_receipts(client, report, touched, number, rest)


def _deposit_transfer(deposit: Deposit) -> tuple[int, str, int]:
    """(log index, to, units) of the Transfer the deposit was credited from."""
    return deposit.log_index, deposit.deposit_address.address, int(deposit.amount * 10**settings.USDT_DECIMALS)


def _direct_transfers(block: JsonObject | None, client: ChainClient) -> dict[str, tuple[int, str, int]]:
    """txid → (0, to, units) for each successful direct USDT `transfer(to, amount)` in the block.

    Such a call emits exactly one Transfer(sender, to, amount), its first log, as long as the
    token charges no fee (TRON's USDT charges none; were it to, the amounts would not match and
    the receipts would decide).
    """
    out = {}
    for tx in (block or {}).get("transactions") or []:
        ret = (tx.get("ret") or [{}])[0]
        contract = (tx.get("raw_data", {}).get("contract") or [{}])[0]
        value = contract.get("parameter", {}).get("value", {})
        data = value.get("data") or ""
        if (ret.get("contractRet") != "SUCCESS" or contract.get("type") != "TriggerSmartContract"
                or not _is_usdt({"address": value.get("contract_address", "")}, client)
                or len(data) != 136 or not data.startswith(SELECTOR_TRANSFER + "0" * 24) or not tx.get("txID")):
            continue
        out[tx["txID"]] = (0, _topic_address(data[8:72]), int(data[72:], 16))
    return out


def _deposits_by_receipts(client: ChainClient, report: CustodyReconciliation, touched: Touched,
                          number: int, deposits: list[Deposit]) -> None:
    receipts = client.request("walletsolidity/gettransactioninfobyblocknum", {"num": number})
    if not isinstance(receipts, list):
        raise ChainUnavailable(f"no usable receipts for block {number}: {str(receipts)[:120]}")
    if not receipts:
        # A backend that lacks the block answers [] too: that proves nothing either way.
        report.unproved += len(deposits)
        return
    by_txid = {info.get("id"): info for info in receipts if isinstance(info, dict)}
    for deposit in deposits:
        log = _transfer_log(by_txid.get(deposit.txid), deposit.log_index, client)
        if log is None or (deposit.log_index, *log[1:]) != _deposit_transfer(deposit):
            report.problems.append(Problem(
                f"deposit {deposit.txid}:{deposit.log_index}",
                f"credited {deposit.amount} to {deposit.deposit_address.address}, but block {number} on the "
                f"solidified chain has no such USDT transfer"))
        else:
            touched[deposit.deposit_address_id].append((CustodyProof.Kind.DEPOSIT, deposit.pk))


def _transfer_log(info: JsonObject | None, index: int, client: ChainClient) -> tuple[str, str, int] | None:
    if not info or info.get("result") == "FAILED" or info.get("receipt", {}).get("result") != "SUCCESS":
        return None
    logs = info.get("log") or []
    if index >= len(logs):
        return None
    log = logs[index]
    topics = log.get("topics") or []
    if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or not _is_usdt(log, client):
        return None
    return _topic_address(topics[1]), _topic_address(topics[2]), int(log.get("data") or "0", 16)


# Addresses and totals ------------------------------------------------------------------------


def _addresses(client: ChainClient, report: CustodyReconciliation, touched: Touched) -> None:
    report.ledger_custody = -platform_account(AccountCode.CUSTODY).balance
    hot = settings.TRON_HOT_WALLET_ADDRESS
    report.hot_wallet = units_to_amount(client.usdt_balance(hot))
    in_play = {h.address_id: h for h in holdings()}
    missing = sorted(touched.keys() - in_play.keys())
    if missing:
        in_play.update({h.address_id: h for h in holdings(address_ids=missing)})
    on_chain = usdt_balances(client=client, addresses=[h.address for h in in_play.values()])
    report.addresses_checked = len(in_play)
    report.deposit_addresses = units_to_amount(sum(on_chain.values()))
    proofs: dict[str, list[int]] = defaultdict(list)
    for holding in in_play.values():
        units = on_chain[holding.address]
        if not holding.explains(units):
            report.problems.append(Problem(
                f"address {holding.address}",
                f"holds {units_to_amount(units)} USDT, the records say {units_to_amount(holding.expected_units)} "
                f"(received minus swept)"))
            continue
        for kind, item_id in touched.get(holding.address_id, []):
            proofs[kind].append(item_id)
    for kind, item_ids in proofs.items():
        _prove(kind, item_ids, report)
