"""The member journey in a real browser, at phone and desktop size.

Against pytest-django's live server (a thread of this process; Celery tasks run eagerly in it, as
everywhere in the tests) and the TRON devnode: a newcomer registers through a referral link,
deposits on the devnode until credited, buys a subscription with the bonus, the sponsor sees the
generation income, the member asks for a withdrawal, staff enrol 2FA and approve it, the worker
broadcasts and the member sees it completed. axe-core checks six pages on the way. Screenshots
go to .screenshots/<size>/ (git-ignored).
"""

import base64
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from accounts.tests.factories import UserFactory
from earnings.models import Commission
from investment.tests.factories import buy
from wallet.custody.deposits import deposits_scan
from wallet.custody.withdrawals import withdrawals_process
from wallet.models import Withdrawal
from wallet.tests.custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Long-test-passphrase-42"
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = settings.BASE_DIR / ".screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


class Journey:
    def __init__(self, page: Page, base: str, size: str, who: str):
        self.page, self.base, self.size, self.who, self.shot_number = page, base, size, who, 0
        (SHOTS / size).mkdir(parents=True, exist_ok=True)

    def go(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, (path, response and response.status)

    def shot(self, name: str) -> None:
        self.shot_number += 1
        self.page.screenshot(path=str(SHOTS / self.size / f"{self.who}-{self.shot_number:02d}-{name}.png"), full_page=True)

    def menu(self, label: str, item: str | None = None) -> None:
        """Use the navigation as a member would: open the phone menu first when it is collapsed."""
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            expect(self.page.locator("#main-nav")).to_be_visible()
        nav = self.page.locator("#main-nav")
        if item is None:
            nav.get_by_role("link", name=label, exact=True).first.click()
        else:
            nav.locator(".dropdown-toggle", has_text=label).click()
            nav.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()
        self.page.wait_for_load_state()

    def accessible(self, name: str) -> None:
        """No serious or critical axe-core violation on the page as it is now."""
        self.page.add_script_tag(path=str(AXE))
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
        )
        assert violations == [], (name, self.size, violations)

    def log_in(self, username: str) -> None:
        self.go("/accounts/login/")
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(PASSWORD)
        self.page.locator("main form button[type=submit]").last.click()
        self.page.wait_for_load_state()


def _totp(secret: str) -> str:
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


@pytest.mark.parametrize("size", SIZES)
def test_a_newcomer_joins_invests_and_withdraws_in_a_real_browser(
    size, browser, live_server, signer, devnode, settings,  # noqa: F811
):
    settings.WITHDRAWAL_ADDRESS_COOLDOWN = timedelta(0)
    sponsor = UserFactory(password=PASSWORD)
    buy(sponsor, "500")
    staff = UserFactory(password=PASSWORD, is_staff=True, is_superuser=True)
    # bypass_csp: the policy (rightly) refuses inline scripts, and the test injects axe-core as one.
    context = browser.new_context(viewport=SIZES[size], locale="en-US", bypass_csp=True)
    context.set_default_timeout(20_000)
    member_page = context.new_page()
    errors: list[str] = []
    member_page.on("pageerror", lambda error: errors.append(str(error)))
    member = Journey(member_page, live_server.url, size, "member")
    page = member_page

    # The landing page, then the sponsor's referral link.
    member.go("/")
    member.accessible("landing")
    member.shot("landing")
    member.go(f"/r/{sponsor.referral_code}/")
    expect(page.get_by_text(f"Your sponsor will be {sponsor.display_name}")).to_be_visible()
    username = f"newcomer{size}"
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=email]").fill(f"{username}@example.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    member.shot("register")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    # Confirm the e-mail address with the link the welcome mail carries; the bonus follows.
    sent = [m for m in mail.outbox if f"{username}@example.com" in m.to]
    link = next(url for m in sent for url in re.findall(r"https?://\S+", m.body) if "confirm" in url or "verify" in url)
    page.goto(link)
    member.go("/dashboard/")
    expect(page.locator('[data-account="bonus"]')).to_contain_text("10.00")
    member.accessible("dashboard")
    member.shot("dashboard")

    # Deposit on the devnode until the scanner credits it.
    member.menu("Wallet", "Deposit")
    page.wait_for_url(re.compile(r"/wallet/deposit/"))
    address = page.locator("#deposit-address").input_value()
    qr = page.locator(".qr-code svg").bounding_box()
    assert qr and qr["width"] >= 240, qr  # large enough to scan from a screen
    member.shot("deposit")
    devnode.op("deposit", to=address, amount=250 * SUN)
    for _ in range(5):
        devnode.solidify()
        deposits_scan()
        member.go("/wallet/")
        if "250.00" in page.locator('[data-account="main"]').inner_text():
            break
    expect(page.locator('[data-account="main"]')).to_contain_text("250.00")
    member.accessible("wallet")
    member.shot("wallet-credited")
    # The bell counts the deposit's notification; the list says what happened.
    expect(page.locator("#nav-bell-count")).to_have_text(re.compile(r"^[1-9]"))
    member.go("/dashboard/notifications/")
    expect(page.locator("#notifications")).to_contain_text("Deposit credited")
    member.accessible("notifications")

    # Buy a subscription with the bonus: preview, change, preview again, confirm.
    member.menu("Invest")
    page.locator("input[name=amount]").fill("200")
    page.locator("input[name=use_bonus]").check()
    member.accessible("invest")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("button", name="Confirm purchase")).to_be_visible()
    page.get_by_role("button", name="Change").click()
    expect(page.locator("input[name=amount]")).to_have_value("200")
    page.get_by_role("button", name="Review").click()
    member.shot("invest-preview")
    page.get_by_role("button", name="Confirm purchase").click()
    page.wait_for_url(re.compile(r"/invest/subscriptions/"))
    expect(page.locator(".subscription-reason").first).to_contain_text("Earning daily income")
    member.shot("subscriptions")
    member.go("/earnings/")
    member.accessible("earnings")
    member.go("/team/")
    member.accessible("team")

    # Save a withdrawal address, then ask for a withdrawal.
    payout_address = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
    member.go("/accounts/profile/")
    page.locator("input[name=address]").fill(payout_address)
    page.locator("form:has(input[name=address]) input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=address]) button[type=submit]").click()
    page.wait_for_load_state()
    member.menu("Wallet", "Withdraw")
    page.locator("input[name=amount]").fill("-5")
    expect(page.locator("#withdraw-fee")).to_have_text("0.00")  # the live preview never goes negative
    page.locator("input[name=amount]").fill("40")
    expect(page.locator("#withdraw-net")).to_have_text("38.00")
    page.locator("#withdraw-form input[name=password]").fill(PASSWORD)
    page.locator("#withdraw-form button[type=submit]").click()
    expect(page.get_by_text("is waiting for approval")).to_be_visible()
    member.shot("withdraw-requested")

    # The sponsor sees the generation income of the purchase.
    sponsor_context = browser.new_context(viewport=SIZES[size], locale="en-US")
    sponsor_view = Journey(sponsor_context.new_page(), live_server.url, size, "sponsor")
    sponsor_view.log_in(sponsor.username)
    sponsor_view.go("/earnings/")
    expect(sponsor_view.page.locator("#history")).to_contain_text(f"generation income from {username}")
    paid = Commission.objects.get(user=sponsor, level=1).amount
    assert paid == Decimal("200") * Commission.objects.get(user=sponsor, level=1).plan_version.generation_rates[0] / 100
    sponsor_view.shot("sponsor-earnings")
    sponsor_context.close()

    # Staff enrol two-factor authentication, then approve in the admin; the worker broadcasts.
    staff_context = browser.new_context(viewport=SIZES[size], locale="en-US")
    desk = Journey(staff_context.new_page(), live_server.url, size, "staff")
    desk.log_in(staff.username)
    desk.go("/accounts/security/")
    desk.page.get_by_role("button", name="Set up two-factor authentication").click()
    secret = desk.page.locator("p:has-text('Type this key') .font-monospace").inner_text()
    desk.page.locator("input[name=token]").fill(_totp(secret))
    desk.page.get_by_role("button", name="Turn on").click()
    desk.page.wait_for_load_state()
    desk.shot("staff-2fa")
    desk.go("/admin/wallet/withdrawal/")
    withdrawal = Withdrawal.objects.get(user__username=username)
    desk.page.locator(f"input[name=_selected_action][value='{withdrawal.pk}']").check()
    desk.page.locator("select[name=action]").select_option("approve")
    desk.page.locator("button[name=index]").click()
    desk.page.wait_for_load_state()
    desk.shot("staff-approved")
    staff_context.close()
    withdrawal.refresh_from_db()
    assert withdrawal.txid, withdrawal.status  # the worker broadcast it on approval
    for _ in range(5):
        devnode.solidify()
        withdrawals_process()
        withdrawal.refresh_from_db()
        if withdrawal.status == Withdrawal.Status.COMPLETED:
            break
    assert devnode.usdt_of(payout_address) == 38 * SUN

    # The member sees it completed, with the transaction on the explorer.
    member.go("/wallet/withdraw/")
    expect(page.locator("body")).to_contain_text("Completed")
    member.go("/wallet/transactions/?type=withdrawal")
    expect(page.locator("#history")).to_contain_text("-40.00")
    expect(page.locator(f"#history a[href*='{withdrawal.txid}']")).to_be_visible()
    member.shot("withdraw-completed")

    # The light theme, switched from the menu and remembered.
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    member.go("/dashboard/")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    member.accessible("dashboard (light)")
    member.shot("dashboard-light")
    assert errors == []
    context.close()
