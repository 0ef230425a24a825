"""Withdrawals end to end against the devnode: request, approval, signing, faults, races."""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from tronpy.keys import PrivateKey

from accounts.tests.factories import staff_member
from phonix.exceptions import InsufficientFunds, WithdrawalRefused
from wallet.custody.withdrawals import (
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
    withdrawals_process,
    withdrawals_watchdog,
)
from wallet.ledger.accounts import member_account, platform_account
from wallet.models import AccountCode, ChainTransfer, Transaction, Withdrawal

from .conftest import assert_ledger_invariants, run_in_threads
from .custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401
from .factories import fund, policy_set, withdrawing_member

PASSWORD = "correct-horse-battery"


def _staff():
    return staff_member("wallet.approve_withdrawal")


@pytest.fixture
def member(signer):  # noqa: F811
    return withdrawing_member(200)


def _balance(user, code=AccountCode.MAIN) -> Decimal:
    return member_account(user_id=user.pk, code=code).balance


def _request(user, amount="100", **kwargs) -> Withdrawal:
    kwargs.setdefault("token", str(uuid.uuid4()))
    return withdrawal_request(user=user, amount=amount, password=PASSWORD, **kwargs)


def _approved(user, amount="100") -> Withdrawal:
    withdrawal = _request(user, amount)
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=_staff())
    return withdrawal


def _state(withdrawal) -> str:
    withdrawal.refresh_from_db()
    return withdrawal.status


@pytest.mark.django_db
class TestRequest:
    def test_the_amount_moves_to_hold_with_fee_and_net(self, member, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            withdrawal = _request(member, "100")
        assert (withdrawal.fee, withdrawal.net_amount) == (Decimal("5"), Decimal("95"))
        assert _balance(member) == 100 and _balance(member, AccountCode.WITHDRAWAL_HOLD) == 100
        assert withdrawal.history.status == Transaction.Status.PENDING and withdrawal.history.fee == 5
        assert len(mail.outbox) == 1 and "95.00" in mail.outbox[0].body
        assert_ledger_invariants()

    def test_a_wrong_password_is_refused(self, member):
        with pytest.raises(WithdrawalRefused, match="password"):
            withdrawal_request(user=member, amount="50", password="nope", token=str(uuid.uuid4()))
        assert _balance(member) == 200

    def test_with_two_factor_on_a_code_is_required(self, member):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=member, name="app", confirmed=True)
        with pytest.raises(WithdrawalRefused, match="authentication code"):
            _request(member, "50", otp_token="000000")
        assert not Withdrawal.objects.exists()

    def test_refused_during_the_cooldown_after_an_address_change(self, member):
        member.withdrawal_address_changed_at = timezone.now() - timedelta(hours=23)
        member.save()
        with pytest.raises(WithdrawalRefused, match="changed recently"):
            _request(member, "50")

    def test_refused_below_the_minimum(self, member):
        policy_set(withdrawal_minimum=Decimal("12.5"))
        with pytest.raises(WithdrawalRefused, match="minimum withdrawal is 12.50 USDT"):
            _request(member, "12.49")

    def test_refused_above_the_balance_and_nothing_is_left_behind(self, member):
        with pytest.raises(InsufficientFunds):
            _request(member, "200.000001")
        assert not Withdrawal.objects.exists() and _balance(member) == 200

    @pytest.mark.parametrize("address", [
        "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdJ",  # one character changed: bad checksum
        "41c9a5f1b4e6a0c2f3b7d8e9f0a1b2c3d4e5f6a7b8",  # hex form
        "0x52908400098527886E0F7030069857D2E4169EE7",  # Ethereum
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",  # Bitcoin, 34 characters like a TRON address
    ])
    def test_an_invalid_address_is_refused(self, member, address):
        from django.core.exceptions import ValidationError

        from accounts.validators import validate_tron_address

        with pytest.raises(ValidationError):  # the profile form never saves it ...
            validate_tron_address(address)
        # ... and a withdrawal to it is refused even if it got into the column some other way.
        member.trc20_wallet_address = address[:34]
        member.save()
        with pytest.raises(WithdrawalRefused, match="valid TRON"):
            _request(member, "50")
        assert _balance(member) == 200


@pytest.mark.django_db
class TestStaffDecisions:
    def test_nobody_approves_their_own_withdrawal(self, member):
        member = staff_member("wallet.approve_withdrawal", username="self-approver")
        member.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
        member.withdrawal_address_changed_at = timezone.now() - timedelta(days=2)
        member.save()
        fund(member, 200)
        withdrawal = _request(member)
        with pytest.raises(WithdrawalRefused, match="own withdrawal"):
            withdrawal_approve(withdrawal_id=withdrawal.pk, staff=member)
        assert _state(withdrawal) == Withdrawal.Status.PENDING

    def test_above_the_staff_set_amount_two_different_staff_must_approve(self, member):
        policy_set(two_approvals_above=Decimal("50"))
        withdrawal = _request(member, "60")
        first = _staff()
        withdrawal_approve(withdrawal_id=withdrawal.pk, staff=first)
        withdrawal_approve(withdrawal_id=withdrawal.pk, staff=first)
        assert _state(withdrawal) == Withdrawal.Status.PENDING
        withdrawal_approve(withdrawal_id=withdrawal.pk, staff=_staff())
        assert _state(withdrawal) == Withdrawal.Status.APPROVED

    def test_rejection_returns_the_held_amount(self, member):
        withdrawal = _approved(member)
        withdrawal_reject(withdrawal_id=withdrawal.pk, staff=_staff(), reason="address belongs to a scam")
        assert _state(withdrawal) == Withdrawal.Status.REJECTED
        assert _balance(member) == 200 and _balance(member, AccountCode.WITHDRAWAL_HOLD) == 0
        withdrawal.history.refresh_from_db()
        assert withdrawal.history.status == Transaction.Status.CANCELLED
        assert_ledger_invariants()

    def test_a_signed_withdrawal_can_no_longer_be_rejected(self, member):
        withdrawal = _approved(member)
        withdrawals_process()
        with pytest.raises(WithdrawalRefused, match="already being sent"):
            withdrawal_reject(withdrawal_id=withdrawal.pk, staff=_staff(), reason="too late")

    def test_the_admin_actions_approve_and_reject(self, member, client):
        staff = _staff()
        staff.is_superuser = True
        staff.save()
        one, two = _request(member, "20"), _request(member, "30")
        client.force_login(staff)
        # Staff use the admin with a verified second factor, as django-otp records it in the session.
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=staff, name="t", confirmed=True).persistent_id
        session.save()
        url = reverse("admin:wallet_withdrawal_changelist")
        client.post(url, {"action": "approve", "_selected_action": [one.pk]})
        asked = client.post(url, {"action": "reject", "_selected_action": [two.pk]})
        assert "Reason (shown to the member)" in asked.content.decode() and _state(two) == Withdrawal.Status.PENDING
        client.post(url, {"action": "reject", "_selected_action": [two.pk], "apply": "1", "reason": "wrong network"})
        assert _state(one) == Withdrawal.Status.APPROVED and _state(two) == Withdrawal.Status.REJECTED
        assert client.get(url).status_code == 200
        assert client.get(reverse("admin:wallet_withdrawal_change", args=[one.pk])).status_code == 200
        overview = client.get(reverse("admin:wallet_custodypolicy_change", args=[1]))
        assert overview.status_code == 200 and "Custody overview" in overview.content.decode()


@pytest.mark.django_db
class TestSigner:
    def test_happy_path_to_a_solidified_receipt(self, member, devnode, signer):  # noqa: F811
        withdrawal = _approved(member, "100")
        result = withdrawals_process()
        assert result.sent == [withdrawal.pk] and _state(withdrawal) == Withdrawal.Status.BROADCAST
        devnode.mine()
        withdrawals_process()
        assert _state(withdrawal) == Withdrawal.Status.BROADCAST  # mined, not yet solidified
        devnode.solidify()
        assert withdrawals_process().completed == [withdrawal.pk]
        withdrawal.refresh_from_db()
        assert withdrawal.status == Withdrawal.Status.COMPLETED and withdrawal.completed_at
        assert devnode.usdt_of(withdrawal.address) == 95 * SUN
        assert _balance(member, AccountCode.WITHDRAWAL_HOLD) == 0 and _balance(member) == 100
        assert platform_account(AccountCode.FEES).balance == 5
        assert platform_account(AccountCode.CUSTODY).balance == 95
        withdrawal.history.refresh_from_db()
        assert withdrawal.history.status == Transaction.Status.COMPLETED
        assert withdrawal.history.txn_hash == withdrawal.txid
        assert withdrawal.explorer_url.endswith(withdrawal.txid)
        again = withdrawals_process()
        assert not (again.sent or again.completed) and devnode.usdt_of(withdrawal.address) == 95 * SUN
        assert_ledger_invariants()

    def test_out_of_energy_returns_the_amount_and_says_why(self, member, devnode, settings):  # noqa: F811
        settings.TRON_FEE_LIMIT_SUN = 1 * SUN
        withdrawal = _approved(member)
        withdrawals_process()
        devnode.solidify()
        assert withdrawals_process().failed == [withdrawal.pk]
        withdrawal.refresh_from_db()
        assert withdrawal.status == Withdrawal.Status.FAILED and "OUT_OF_ENERGY" in withdrawal.failure_reason
        assert _balance(member) == 200 and _balance(member, AccountCode.WITHDRAWAL_HOLD) == 0
        assert devnode.usdt_of(withdrawal.address) == 0
        assert withdrawal.transfers.get().state == ChainTransfer.State.FAILED
        assert_ledger_invariants()

    def test_a_dropped_broadcast_that_expires_is_signed_again_exactly_once(self, member, devnode, settings):  # noqa: F811
        settings.TRON_TX_EXPIRATION_SECONDS = 2
        settings.TRON_DEAD_AFTER_CHECKS, settings.TRON_DEAD_AFTER_SECONDS = 2, 0
        withdrawal = _approved(member)
        devnode.op("fault", drop_broadcasts=100)
        withdrawals_process()
        devnode.mine(2)
        withdrawals_process()  # not expired yet: the same bytes are sent again (and dropped again)
        first = withdrawal.transfers.get()
        assert first.broadcast_count >= 2 and first.state == ChainTransfer.State.BROADCAST
        time.sleep(2.2)
        devnode.op("fault", drop_broadcasts=0)
        devnode.solidify()  # the solidified chain's clock passes the expiration
        assert withdrawals_process().resigned == []  # one "not found" proves nothing
        result = withdrawals_process()
        assert result.resigned == [withdrawal.pk] and result.sent == [withdrawal.pk]
        devnode.solidify()
        withdrawals_process()
        assert _state(withdrawal) == Withdrawal.Status.COMPLETED
        states = dict(withdrawal.transfers.values_list("attempt", "state"))
        assert states == {1: ChainTransfer.State.DEAD, 2: ChainTransfer.State.CONFIRMED}
        assert devnode.usdt_of(withdrawal.address) == 95 * SUN
        assert_ledger_invariants()

    def test_a_crash_between_storing_and_broadcasting_sends_exactly_one_transfer(
        self, member, devnode, monkeypatch  # noqa: F811
    ):
        import wallet.custody.withdrawals as module

        real = module.transfer_broadcast

        def crash(**kwargs):
            raise RuntimeError("worker killed")

        withdrawal = _approved(member)
        monkeypatch.setattr(module, "transfer_broadcast", crash)
        with pytest.raises(RuntimeError):
            withdrawals_process()
        stored = withdrawal.transfers.get()
        assert _state(withdrawal) == Withdrawal.Status.SIGNED and stored.broadcast_count == 0
        assert devnode.chain.info()["pool"] == 0
        monkeypatch.setattr(module, "transfer_broadcast", real)
        withdrawals_process()  # re-sends the stored bytes
        devnode.solidify()
        withdrawals_process()
        assert _state(withdrawal) == Withdrawal.Status.COMPLETED
        assert withdrawal.transfers.get().txid == stored.txid
        assert devnode.usdt_of(withdrawal.address) == 95 * SUN

    def test_a_crash_after_the_broadcast_is_answered_by_dup_and_still_one_transfer(
        self, member, devnode, monkeypatch  # noqa: F811
    ):
        import wallet.custody.withdrawals as module

        real = module.transfer_broadcast

        def sent_then_crash(**kwargs):
            real(**kwargs)
            raise RuntimeError("worker killed after sending")

        withdrawal = _approved(member)
        monkeypatch.setattr(module, "transfer_broadcast", sent_then_crash)
        with pytest.raises(RuntimeError):
            withdrawals_process()
        monkeypatch.setattr(module, "transfer_broadcast", real)
        withdrawals_process()
        assert withdrawal.transfers.get().last_broadcast_code == "DUP_TRANSACTION_ERROR"
        devnode.solidify()
        withdrawals_process()
        assert _state(withdrawal) == Withdrawal.Status.COMPLETED
        assert devnode.usdt_of(withdrawal.address) == 95 * SUN

    @pytest.mark.parametrize("status", [429, 503])
    def test_busy_node_answers_are_retried(self, member, devnode, status):  # noqa: F811
        withdrawal = _approved(member)
        devnode.op("fault", http_errors=3, http_status=status)
        withdrawals_process()
        devnode.solidify()
        devnode.op("fault", http_errors=2, http_status=status)
        withdrawals_process()
        assert _state(withdrawal) == Withdrawal.Status.COMPLETED

    def test_the_watchdog_releases_an_abandoned_claim_and_reports_stuck_ones(self, member, settings):
        withdrawal = _approved(member)
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.PROCESSING, claimed_at=timezone.now() - timedelta(minutes=10),
            updated_at=timezone.now() - timedelta(hours=1),
        )
        report = withdrawals_watchdog()
        assert report.released == [withdrawal.pk] and _state(withdrawal) == Withdrawal.Status.APPROVED
        Withdrawal.objects.filter(pk=withdrawal.pk).update(updated_at=timezone.now() - timedelta(hours=1))
        assert withdrawals_watchdog().stuck == {"approved": [withdrawal.pk]}

    def test_the_watchdog_pushes_a_signed_but_unsent_withdrawal_along(self, member, devnode, monkeypatch):  # noqa: F811
        import wallet.custody.withdrawals as module

        withdrawal = _approved(member)
        real = module.transfer_broadcast
        monkeypatch.setattr(module, "transfer_broadcast", lambda **kwargs: False)
        withdrawals_process()
        monkeypatch.setattr(module, "transfer_broadcast", real)
        withdrawals_watchdog()
        devnode.solidify()
        assert withdrawals_watchdog().followed.completed == [withdrawal.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_transfer(member, devnode):  # noqa: F811
    withdrawal = _request(member)
    # Approved without the worker that approval would enqueue, so that the two below race for it.
    Withdrawal.objects.filter(pk=withdrawal.pk).update(status=Withdrawal.Status.APPROVED)
    results = run_in_threads(2, lambda i: withdrawals_process())
    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(len(r.sent) for r in results) == [0, 1]
    devnode.solidify()
    withdrawals_process()
    assert withdrawal.transfers.count() == 1 and _state(withdrawal) == Withdrawal.Status.COMPLETED
    assert devnode.usdt_of(withdrawal.address) == 95 * SUN
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_while_two_workers_run_send_one_transfer(member, devnode):  # noqa: F811
    policy_set(two_approvals_above=Decimal("50"))
    withdrawal = _request(member, "100")
    staff = [_staff(), _staff()]

    def work(i: int):
        if i < 2:  # approving enqueues the worker after commit (run inline in tests)
            return withdrawal_approve(withdrawal_id=withdrawal.pk, staff=staff[i])
        return withdrawals_process()

    results = run_in_threads(4, work)
    assert not [r for r in results if isinstance(r, Exception)]
    withdrawals_process()
    devnode.solidify()
    withdrawals_process()
    assert withdrawal.approvals.count() == 2
    assert withdrawal.transfers.count() == 1 and _state(withdrawal) == Withdrawal.Status.COMPLETED
    assert devnode.usdt_of(withdrawal.address) == 95 * SUN
    assert_ledger_invariants()


@pytest.mark.django_db
class TestPage:
    def test_the_page_shows_address_fee_and_recent_withdrawals(self, member, client, django_assert_max_num_queries):
        _request(member, "40")
        client.force_login(member)
        with django_assert_max_num_queries(15):
            response = client.get(reverse("wallet:withdraw"))
        page = response.content.decode()
        assert response.status_code == 200
        assert member.trc20_wallet_address in page and "Fee (5 %)" in page and "38.00" in page

    def test_the_available_balance_is_never_rounded_up(self, member, client):
        fund(member, "0.999999")  # 200.999999 available: showing 201.00 would promise money that is not there
        client.force_login(member)
        page = client.get(reverse("wallet:withdraw")).content.decode()
        assert "200.99 USDT" in page and "201.00" not in page

    def test_posting_the_form_requests_a_withdrawal(self, member, client):
        client.force_login(member)
        response = client.post(reverse("wallet:withdraw"), {"amount": "25", "password": PASSWORD, "token": str(uuid.uuid4())})
        assert response.status_code == 302
        assert Withdrawal.objects.get().amount == 25 and _balance(member) == 175

    def test_a_refusal_is_shown_on_the_form(self, member, client):
        client.force_login(member)
        response = client.post(reverse("wallet:withdraw"), {"amount": "25", "password": "wrong", "token": str(uuid.uuid4())})
        assert response.status_code == 200 and "password is not correct" in response.content.decode()
        assert not Withdrawal.objects.exists()

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("abc", "is not a number"),
            ("-5", "must be positive"),
            ("10.1234567", "at most 6 decimal places"),
            ("5000", "more than your main balance of 200.00 USDT"),
        ],
    )
    def test_refusals_are_written_for_members(self, member, client, amount, message):
        client.force_login(member)
        response = client.post(reverse("wallet:withdraw"), {"amount": amount, "password": PASSWORD,
                                                             "token": str(uuid.uuid4())})
        body = response.content.decode()
        assert response.status_code == 200 and message in body
        assert "Ensure" not in body and "Insufficient funds in the" not in body
        assert not Withdrawal.objects.exists()

    def test_the_live_preview_script_never_shows_a_negative_fee(self, member, client, settings):
        client.force_login(member)
        page = client.get(reverse("wallet:withdraw")).content.decode()
        assert "wallet/withdraw.js" in page and "<script>" not in page
        script = (settings.BASE_DIR / "static" / "wallet" / "withdraw.js").read_text()
        assert "Math.max(0" in script

@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["1e3", "1E2", "１００", "١٠٠", "1_0", "25.0000001"])
def test_a_withdrawal_amount_in_anything_but_plain_digits_is_refused(member, client, amount, invariants):
    client.force_login(member)
    response = client.post(reverse("wallet:withdraw"), {"amount": amount, "password": PASSWORD,
                                                         "token": str(uuid.uuid4())})
    assert response.status_code == 200 and response.context["form"].errors["amount"]
    assert not Withdrawal.objects.exists() and _balance(member) == 200
