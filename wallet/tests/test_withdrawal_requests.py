"""A withdrawal request happens once per form, and its e-mail cannot break the page."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from phonix.exceptions import IdempotencyConflict
from wallet.custody.withdrawals import withdrawal_request
from wallet.ledger.accounts import member_account
from wallet.models import AccountCode, Withdrawal

from .conftest import assert_ledger_invariants, run_in_threads
from .factories import withdrawing_member

PASSWORD = "correct-horse-battery"


def _member():
    return withdrawing_member(200)


@pytest.fixture
def member(db):
    return _member()


def _main(user) -> Decimal:
    return member_account(user_id=user.pk, code=AccountCode.MAIN).balance


def _post(client, token, amount="25", **extra):
    return client.post(reverse("wallet:withdraw"), {"amount": amount, "password": PASSWORD, "token": token, **extra})


@pytest.mark.django_db
class TestOncePerForm:
    def test_the_page_renders_a_fresh_token_into_the_form(self, member, client):
        client.force_login(member)
        first = client.get(reverse("wallet:withdraw")).context["form"]["token"].value()
        second = client.get(reverse("wallet:withdraw")).context["form"]["token"].value()
        assert uuid.UUID(str(first)) and first != second
        page = client.get(reverse("wallet:withdraw")).content.decode()
        assert 'type="hidden" name="token"' in page

    def test_five_identical_posts_open_one_withdrawal(self, member, client, invariants):
        client.force_login(member)
        token = str(uuid.uuid4())
        responses = [_post(client, token) for _ in range(5)]
        assert [r.status_code for r in responses] == [302] * 5
        assert Withdrawal.objects.filter(user=member).count() == 1
        assert _main(member) == 175
        assert member_account(user_id=member.pk, code=AccountCode.WITHDRAWAL_HOLD).balance == 25

    def test_two_forms_open_two_withdrawals(self, member, client, invariants):
        client.force_login(member)
        _post(client, str(uuid.uuid4()))
        _post(client, str(uuid.uuid4()))
        assert Withdrawal.objects.filter(user=member).count() == 2 and _main(member) == 150

    def test_the_same_form_with_another_amount_is_refused(self, member, client, invariants):
        client.force_login(member)
        token = str(uuid.uuid4())
        _post(client, token, amount="25")
        response = _post(client, token, amount="30")
        assert response.status_code == 200 and "already used" in response.content.decode()
        assert Withdrawal.objects.get(user=member).amount == 25 and _main(member) == 175

    def test_a_post_without_a_token_opens_nothing(self, member, client):
        client.force_login(member)
        response = client.post(reverse("wallet:withdraw"), {"amount": "25", "password": PASSWORD})
        assert response.status_code == 200 and not Withdrawal.objects.exists()

    def test_a_retry_with_the_two_factor_code_already_used_returns_the_first(self, member):
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=member, name="app", confirmed=True)
        code = f"{totp(device.bin_key):06d}"
        token = str(uuid.uuid4())
        first = withdrawal_request(user=member, amount="25", password=PASSWORD, token=token, otp_token=code)
        again = withdrawal_request(user=member, amount="25", password=PASSWORD, token=token, otp_token=code)
        assert again.pk == first.pk and Withdrawal.objects.count() == 1

    def test_the_service_refuses_another_amount_under_the_same_token(self, member, invariants):
        token = str(uuid.uuid4())
        withdrawal_request(user=member, amount="25", password=PASSWORD, token=token)
        with pytest.raises(IdempotencyConflict):
            withdrawal_request(user=member, amount="26", password=PASSWORD, token=token)
        assert _main(member) == 175


@pytest.mark.django_db(transaction=True)
def test_five_simultaneous_submissions_of_one_form_open_one_withdrawal():
    member = _member()
    token = str(uuid.uuid4())
    results = run_in_threads(
        5, lambda i: withdrawal_request(user=member, amount="40", password=PASSWORD, token=token).pk
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1 and Withdrawal.objects.count() == 1
    assert _main(member) == 160
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_after_commit_still_answers_the_page_and_keeps_the_withdrawal(client, monkeypatch):
    from kombu.exceptions import OperationalError

    from wallet import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.withdrawal_notify_task, "delay", broker_down)
    member = _member()
    client.force_login(member)
    response = _post(client, str(uuid.uuid4()))
    assert response.status_code == 302
    withdrawal = Withdrawal.objects.get(user=member)
    assert withdrawal.status == Withdrawal.Status.PENDING and _main(member) == 175
    assert_ledger_invariants()
