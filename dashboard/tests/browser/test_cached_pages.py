"""The member pages in a real browser, served again from the page cache and renewed by a committed
deposit: the same page, working, at phone and desktop size (screenshots in .screenshots/)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import expect
from redis import Redis

from accounts.tests.factories import UserFactory
from investment.tests.factories import buy
from wallet.tests.factories import fund

from .test_journey import PASSWORD, SIZES, Journey

PAGES = ["/dashboard/", "/wallet/", "/wallet/transactions/", "/earnings/", "/team/", "/ranks/", "/invest/"]


def cached_page_count() -> int:
    redis = Redis.from_url(settings.CACHES["default"]["LOCATION"])  # Django's cache lists no keys
    return len(redis.keys(cache.make_key("page:*")))


@pytest.mark.parametrize("size", SIZES)
def test_cached_pages_look_the_same_and_show_a_committed_deposit_at_once(size, browser, live_server):
    member = UserFactory(password=PASSWORD)
    UserFactory(sponsor=member)
    buy(member, "250")
    context = browser.new_context(viewport=SIZES[size], locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    visit = Journey(page, live_server.url, size, "cached")
    visit.log_in(member.username)
    for path in PAGES:
        visit.go(path)
        first = page.content()
        visit.go(path)  # now from the cache
        assert page.content() == first, path
    assert cached_page_count() >= len(PAGES)
    visit.go("/wallet/")
    visit.shot("wallet-cached")
    expect(page.locator('[data-account="main"]')).to_contain_text("0.00")
    fund(member, "123.45")  # committed: the live server runs outside the test's transaction
    visit.go("/wallet/")
    expect(page.locator('[data-account="main"]')).to_contain_text("123.45")
    visit.go("/dashboard/")
    expect(page.locator('[data-account="main"]')).to_contain_text("123.45")
    visit.shot("dashboard-after-deposit")
    assert errors == []
    context.close()
