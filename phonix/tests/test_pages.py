import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_language_menu_names_each_language_in_itself(client):
    body = client.get(reverse("home")).content.decode()
    assert 'lang="en" selected>English</option>' in body
    assert 'lang="zh-hans">简体中文</option>' in body

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("home")).content.decode()
    assert ">English</option>" in chinese and 'selected>简体中文</option>' in chinese


def test_every_page_has_a_favicon(client):
    body = client.get(reverse("home")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in body
    assert finders.find("favicon.svg")
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy["Location"] == "/static/favicon.svg"
