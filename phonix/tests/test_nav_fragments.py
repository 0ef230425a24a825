"""The navigation is rendered once per language, page and member, and each page still gets its own."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WALLET_LINK = f'<a class="dropdown-item active" href="{reverse("wallet:transactions")}" aria-current="page">'


def test_each_page_marks_its_own_link_and_keeps_a_fresh_csrf_form(client):
    member = UserFactory()
    client.force_login(member)
    transactions = client.get(reverse("wallet:transactions")).content.decode()
    dashboard = client.get(reverse("dashboard:home")).content.decode()
    again = client.get(reverse("wallet:transactions")).content.decode()
    assert WALLET_LINK in transactions and WALLET_LINK in again
    assert WALLET_LINK not in dashboard
    assert f'<input type="hidden" name="next" value="{reverse("dashboard:home")}">' in dashboard
    assert again.count('name="csrfmiddlewaretoken"') >= 3  # theme, log-out and language forms


def test_the_menu_follows_who_is_signed_in_and_their_language(client):
    member, staff = UserFactory(), UserFactory(is_staff=True)
    client.force_login(member)
    first = client.get(reverse("dashboard:home")).content.decode()
    client.force_login(staff)
    second = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("admin:index") not in first and member.username in first
    assert reverse("admin:index") in second and staff.username in second and member.username not in second
    chinese = client.get(reverse("dashboard:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in chinese and "退出登录" in chinese
