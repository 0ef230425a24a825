"""The console and distribution pages: who may open them, what they show, the flow of a distribution."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_member, verified_login
from earnings.models import Distribution
from earnings.tests.factories import member
from wallet.ledger.history import member_balance
from wallet.models import AccountCode

pytestmark = pytest.mark.django_db


def test_the_console_needs_staff_with_a_verified_second_factor(client):
    url = reverse("console:console")
    assert client.get(url).status_code == 302  # anonymous: to the admin login
    client.force_login(UserFactory())
    assert client.get(url).status_code == 302
    staff = staff_member()
    client.force_login(staff)  # staff without 2FA in this session
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    verified_login(client, staff)
    assert client.get(url).status_code == 200


def test_the_admin_index_links_the_console(client):
    verified_login(client, staff_member())
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("console:console") in page
    assert reverse("console:distributions") not in page  # no permission, no link


def test_the_console_shows_the_figures_and_loads_its_charts_from_static_files(client):
    member(invested=100)
    verified_login(client, staff_member())
    page = client.get(reverse("console:console")).content.decode()
    assert 'data-figure="members">1<' in page
    assert 'data-figure="obligation">300.00<' in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "console.js" in page
    assert 'id="chart-payouts"' in page


def test_the_distribution_page_needs_its_permission(client):
    verified_login(client, staff_member())
    assert client.get(reverse("console:distributions")).status_code == 403


def test_a_distribution_is_previewed_then_confirmed_once(client):
    one = member(invested=100)
    staff = staff_member("earnings.distribute_promotion")
    verified_login(client, staff)
    url = reverse("console:distributions")
    terms = {"amount": "4", "account": "main", "reason": "Launch", "usernames": one.username}
    preview = client.post(url, {**terms, "preview": ""})
    page = preview.content.decode()
    assert 'data-figure="total">4.00<' in page and 'name="confirm"' in page
    token = preview.context["form"]["token"].value()
    assert token and not Distribution.objects.exists()
    for _ in range(2):  # a double submit
        response = client.post(url, {**terms, "token": token, "confirm": ""})
        assert response.status_code == 302
    assert Distribution.objects.count() == 1
    assert member_balance(user=one, code=AccountCode.MAIN) == Decimal(4)


def test_bad_input_on_the_distribution_page_is_shown_not_a_500(client):
    verified_login(client, staff_member("earnings.distribute_promotion"))
    url = reverse("console:distributions")
    response = client.post(url, {"amount": "1e3", "account": "main", "reason": "x", "preview": ""})
    assert response.status_code == 200 and response.context["form"].errors["amount"]
    response = client.post(url, {"amount": "1", "account": "main", "reason": "x", "joined_from": "2030-02-01",
                                 "joined_to": "2030-01-01", "preview": ""})
    assert "after the last" in response.content.decode()
    response = client.post(url, {"amount": "1", "account": "main", "reason": "x", "usernames": "ghost",
                                 "preview": ""})
    page = response.content.decode()
    assert "ghost" in page and 'name="confirm"' not in page
