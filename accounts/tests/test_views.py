"""The member-facing pages: joining, signing in, lockout, 2FA, profile, team."""

import datetime as dt
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import two_factor_begin, two_factor_confirm
from accounts.tests.factories import UserFactory, link_token, verified_login
from wallet.ledger.accounts import member_account
from wallet.models import AccountCode, LedgerTransaction

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
GOOD_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def _join(client, **overrides):
    data = {"username": "newbie", "email": "newbie@example.com", "password1": "Sturdy-pass-2026",
            "password2": "Sturdy-pass-2026", "referral_code": "", **overrides}
    return client.post(reverse("accounts:register"), data)


def _code_now(device: TOTPDevice, shift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + shift * device.step
    return f"{totp.token():0{device.digits}d}"


def _login(client, login, password=PASSWORD, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": login, "password": password}, REMOTE_ADDR=ip)


# Joining -------------------------------------------------------------------------------------


def test_registration_logs_in_and_the_emailed_link_pays_the_bonus(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _join(client)
    assert response.status_code == 302 and response.url == reverse("dashboard:home")
    user = User.objects.get(username="newbie")
    assert user.referred_by is None and user.depth == 0 and user.referral_code
    assert client.session["_auth_user_id"] == str(user.pk)
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == 0
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.get(reverse("accounts:email_confirm", args=[link_token(mail.outbox[0])]))
    assert opened.status_code == 302 and opened.url == reverse("accounts:profile")
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == Decimal("10")


def test_registration_with_ref_parameter_shows_and_uses_the_sponsor(client, django_capture_on_commit_callbacks):
    sponsor = UserFactory(username="sponsor1")
    page = client.get(reverse("accounts:register") + f"?ref={sponsor.referral_code.lower()}")
    assert "s•••1" in page.content.decode()  # the display name, never the username
    with django_capture_on_commit_callbacks(execute=True):
        _join(client, referral_code=sponsor.referral_code)
    user = User.objects.get(username="newbie")
    assert user.referred_by == sponsor and user.upline_ids == [sponsor.pk]
    assert User.objects.get(pk=sponsor.pk).direct_referrals_count == 0  # not before the e-mail is confirmed
    client.get(reverse("accounts:email_confirm", args=[link_token(mail.outbox[0])]))
    assert User.objects.get(pk=sponsor.pk).direct_referrals_count == 1


def test_the_shareable_link_remembers_the_code_for_the_registration(client):
    sponsor = UserFactory(username="linker")
    response = client.get(f"/r/{sponsor.referral_code}/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:register") + f"?ref={sponsor.referral_code}"
    page = client.get(reverse("accounts:register"))  # the code is kept in the session
    assert sponsor.referral_code in page.content.decode() and "l•••r" in page.content.decode()
    _join(client, referral_code=client.session["referral_code"])
    assert User.objects.get(username="newbie").referred_by == sponsor


def test_the_sponsor_preview_for_htmx(client):
    sponsor = UserFactory(username="preview")
    url = reverse("accounts:register_sponsor")
    assert "p•••w" in client.get(url, {"referral_code": sponsor.referral_code}).content.decode()
    assert "No member has this referral code" in client.get(url, {"referral_code": "ZZZZZZZZ"}).content.decode()


@pytest.mark.parametrize("code", ["ZZZZZZZZ", "abc", "<script>", "0OIL1OIL", "X" * 40])
def test_a_wrong_or_unknown_code_is_a_form_error_and_writes_nothing(client, code):
    response = _join(client, referral_code=code)
    assert response.status_code == 200
    assert "referral_code" in response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", ""),
        ("username", "x" * 151),
        ("username", "<script>alert(1)</script>"),
        ("username", "NEWBIE-TAKEN"),
        ("username", "someone@example.com"),
        ("email", ""),
        ("email", "not-an-email"),
        ("email", "TAKEN@Example.com"),
        ("password1", "short"),
        ("password1", "12345678901"),
    ],
)
def test_bad_registration_input_is_a_form_error_and_writes_nothing(client, field, value):
    UserFactory(username="newbie-taken", email="taken@example.com")
    overrides = {field: value}
    if field == "password1":
        overrides["password2"] = value
    count = User.objects.count()
    response = _join(client, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == count
    assert not LedgerTransaction.objects.exists()


def test_a_retried_registration_is_refused_and_the_bonus_stays_single(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _join(client)
    client.logout()
    response = _join(client)
    assert response.status_code == 200 and "username" in response.context["form"].errors
    for _twice in range(2):
        client.get(reverse("accounts:email_confirm", args=[link_token(mail.outbox[0])]))
    assert LedgerTransaction.objects.filter(kind="bonus").count() == 1


def test_a_confirmation_email_then_a_welcome_email_are_sent(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _join(client)
    assert mail.outbox[0].to == ["newbie@example.com"] and "/accounts/email/confirm/" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("accounts:email_confirm", args=[link_token(mail.outbox[0])]))
    assert mail.outbox[1].to == ["newbie@example.com"] and "registration bonus" in mail.outbox[1].body


# Signing in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["member", "MEMBER", "member@example.com", "Member@Example.COM"])
def test_login_with_username_or_email_in_any_case(client, login):
    UserFactory(username="member", email="member@example.com")
    response = _login(client, login)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_staff_made_username_with_an_at_sign_can_still_sign_in(client):
    UserFactory(username="ops@phonix", email="ops@example.com")
    assert _login(client, "ops@phonix").status_code == 302


def test_logout_and_password_reset_email(client):
    UserFactory(username="member", email="member@example.com")
    _login(client, "member")
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("accounts:password_reset"), {"email": "MEMBER@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/accounts/password/reset/" in mail.outbox[0].body


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Another-strong-2026", "new_password2": "Another-strong-2026",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-strong-2026")


def test_repeated_failures_lock_the_username_from_that_address_only(client, settings):
    UserFactory(username="victim", email="victim@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "victim", "wrong", ip="10.0.0.66").status_code == 200
    assert _login(client, "victim", "wrong", ip="10.0.0.66").status_code == 429
    locked = _login(client, "victim", PASSWORD, ip="10.0.0.66")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The attacker's address does not lock the member out of their own.
    assert _login(client, "victim", PASSWORD, ip="10.0.0.1").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, settings):
    UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "victim", "wrong", ip="10.0.0.66")
    assert _login(client, "victim", PASSWORD, ip="10.0.0.66").status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    AccessAttemptExpiration.objects.update(expires_at=past)
    assert _login(client, "victim", PASSWORD, ip="10.0.0.66").status_code == 302


def test_the_lockout_counts_the_member_whatever_the_login_spelling(client, settings):
    """30 guesses in varied spellings (username in any case, the e-mail), then the right password
    under yet another spelling, all from one address: refused once the limit is reached."""
    UserFactory(username="bfv54d8c", email="bfv54d8c@example.com")
    spellings = ["bfv54d8c", "BFV54D8C", "Bfv54d8c", " bfv54D8C ", "BFV54d8c@EXAMPLE.com", "bFv54d8c@example.com"]
    answers = [_login(client, spellings[i % len(spellings)], "wrong", ip="10.0.0.66").status_code
               for i in range(30)]
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT:]) == {429}
    assert _login(client, "BFv54d8c", PASSWORD, ip="10.0.0.66").status_code == 429
    assert _login(client, "BFV54D8C@example.com", PASSWORD, ip="10.0.0.66").status_code == 429
    assert "_auth_user_id" not in client.session
    # The guesses from that address do not lock the member out of their own.
    assert _login(client, "BFv54d8c", PASSWORD, ip="10.0.0.1").status_code == 302


def test_an_unknown_login_locks_on_its_normalised_form(client, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "Nobody" if i % 2 else " NOBODY ", "wrong", ip="10.0.0.66")
    assert _login(client, "nobody", "wrong", ip="10.0.0.66").status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"nobody"}


# Two-factor authentication -------------------------------------------------------------------


def test_totp_enrolment_through_the_security_page(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("accounts:security"), {"action": "begin"})
    page = client.get(reverse("accounts:security"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("accounts:security"), {"action": "confirm", "token": "000000"})
    assert "enrol_form" in wrong.context and wrong.context["enrol_form"].errors
    # django-otp slows down guessing after a failure; let that pause pass.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5))
    done = client.post(reverse("accounts:security"), {"action": "confirm", "token": _code_now(device)})
    assert len(done.context["codes"]) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("accounts:security")).context["enabled"]


@pytest.fixture
def member_with_2fa():
    user = UserFactory(username="careful", email="careful@example.com")
    device = two_factor_begin(user=user)
    _device, codes = two_factor_confirm(user=user, device_id=device.pk, token=_code_now(device))
    # The confirming code is spent; sign-ins use the next time step.
    return user, TOTPDevice.objects.get(pk=device.pk), codes


def test_login_with_2fa_needs_a_code_and_a_code_cannot_be_replayed(client, member_with_2fa):
    user, device, _codes = member_with_2fa
    response = _login(client, "careful")
    assert response.url == reverse("accounts:login_verify")
    assert "_auth_user_id" not in client.session  # not signed in before the code
    assert client.get(reverse("dashboard:home")).status_code == 302
    token = _code_now(device, shift=1)
    verified = client.post(reverse("accounts:login_verify"), {"token": token})
    assert verified.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post(reverse("accounts:logout"))
    _login(client, "careful")
    replay = client.post(reverse("accounts:login_verify"), {"token": token})
    assert replay.status_code == 200 and replay.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_works_once(client, member_with_2fa):
    user, _device, codes = member_with_2fa
    _login(client, "careful")
    assert client.post(reverse("accounts:login_verify"), {"token": codes[0]}).status_code == 302
    client.post(reverse("accounts:logout"))
    _login(client, "careful")
    again = client.post(reverse("accounts:login_verify"), {"token": codes[0]})
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_verify_step_needs_a_password_first(client):
    response = client.get(reverse("accounts:login_verify"))
    assert response.status_code == 302 and response.url == reverse("accounts:login")


def test_staff_need_a_second_factor_for_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302
    verified_login(client, staff)
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_staff_change_a_sponsor_in_the_admin_and_cycles_are_refused(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, staff)
    top = UserFactory(username="top")
    mid = UserFactory(username="mid", sponsor=top)
    low = UserFactory(username="low", sponsor=mid)
    other = UserFactory(username="other")
    url = reverse("admin:accounts_user_sponsor", args=[top.pk])
    refused = client.post(url, {"new_sponsor": "low", "reason": "test"})
    assert refused.status_code == 200 and "cycle" in refused.content.decode()
    moved = client.post(url, {"new_sponsor": "other", "reason": "merge"})
    assert moved.status_code == 302
    assert User.objects.get(pk=low.pk).upline_ids == [mid.pk, top.pk, other.pk]
    assert client.get(reverse("admin:accounts_sponsorchange_changelist")).status_code == 200


# Profile ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",  # one character off: bad checksum
        "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",  # hex form
        "0xdAC17F958D2ee523a2206206994597C13D831ec7",  # Ethereum
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # Bitcoin
        "T" * 34,
        "",
        "<script>alert(1)</script>",
    ],
)
def test_a_bad_withdrawal_address_is_refused_and_nothing_changes(client, address):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:profile"),
                           {"save_address": "1", "address": address, "password": PASSWORD})
    assert response.status_code == 200 and response.context["address_form"].errors["address"]
    user.refresh_from_db()
    assert user.trc20_wallet_address == "" and user.withdrawal_address_changed_at is None


def test_a_new_withdrawal_address_needs_the_password_and_starts_the_cooldown(client):
    user = UserFactory()
    client.force_login(user)
    wrong = client.post(reverse("accounts:profile"),
                        {"save_address": "1", "address": GOOD_ADDRESS, "password": "nope"})
    assert wrong.context["address_form"].errors["password"]
    before = timezone.now()
    response = client.post(reverse("accounts:profile"),
                           {"save_address": "1", "address": GOOD_ADDRESS, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.trc20_wallet_address == GOOD_ADDRESS
    assert user.withdrawal_address_changed_at >= before
    assert client.get(reverse("accounts:profile")).context["cooldown_until"] is not None


def test_with_2fa_the_address_change_also_needs_a_code(client, member_with_2fa):
    user, device, _codes = member_with_2fa
    client.force_login(user)
    missing = client.post(reverse("accounts:profile"),
                          {"save_address": "1", "address": GOOD_ADDRESS, "password": PASSWORD})
    assert missing.context["address_form"].errors["token"]
    done = client.post(reverse("accounts:profile"), {"save_address": "1", "address": GOOD_ADDRESS,
                                                     "password": PASSWORD, "token": _code_now(device, 1)})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.trc20_wallet_address == GOOD_ADDRESS


def test_names_with_html_are_saved_and_always_shown_escaped(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("accounts:profile"), {"save_profile": "1", "first_name": "<b>Bob</b>",
                                              "last_name": "<script>x()</script>", "email": user.email})
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "<script>x()</script>" not in body and "&lt;script&gt;x()&lt;/script&gt;" in body


def test_a_new_email_must_stay_unique_ignoring_case(client):
    UserFactory(email="someone@example.com")
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:email_change"), {"email": "SOMEONE@example.com", "password": PASSWORD})
    assert "Another account uses that e-mail address." in response.content.decode()
    assert mail.outbox == []


# Team ----------------------------------------------------------------------------------------


def test_team_page_shows_link_levels_and_members(client, tree25):
    client.force_login(tree25["a"])
    response = client.get(reverse("team:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/r/{tree25['a'].referral_code}/" in body and "<svg" in body
    assert response.context["stats"].team_size == 23
    assert response.context["chart"]["counts"][:3] == [3, 6, 4]
    assert [row["member"].username for row in response.context["rows"]] == ["b", "c", "d"]
    members = client.get(reverse("team:members"), {"level": "all", "q": "x"})
    assert [row["member"].username for row in members.context["rows"]] == ["x"]
    assert members.context["rows"][0]["level"] == 8


def test_genealogy_expands_only_inside_the_own_downline(client, tree25):
    client.force_login(tree25["d"])
    children = client.get(reverse("team:tree", args=[tree25["j"].pk]))
    assert [row["member"].username for row in children.context["children"]] == ["n"]
    assert client.get(reverse("team:tree", args=[tree25["b"].pk])).status_code == 404
    assert client.get(reverse("team:tree", args=[tree25["y"].pk])).status_code == 404


def test_team_page_queries_do_not_grow_with_the_team(client):
    from django.core.cache import cache

    from accounts.selectors import team_stats_cache_key

    top = UserFactory()
    UserFactory(sponsor=top)
    client.force_login(top)
    client.get(reverse("team:home"))
    cache.delete(team_stats_cache_key(top.pk))  # measure with the counts computed afresh
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("team:home"))
    for _ in range(30):
        UserFactory(sponsor=UserFactory(sponsor=top))
    cache.delete(team_stats_cache_key(top.pk))
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("team:home"))
    assert response.context["stats"].team_size == 61
    assert len(large) == len(small)


def test_a_member_added_by_staff_in_the_admin_gets_a_referral_code(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, staff)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "byhand", "password1": "Sturdy-pass-2026", "password2": "Sturdy-pass-2026",
        "usable_password": "true",
    })
    assert response.status_code == 302
    assert User.objects.get(username="byhand").referral_code


def test_cached_team_counts_are_forgotten_when_the_tree_changes(client, django_capture_on_commit_callbacks):
    from accounts.services import user_sponsor_change

    top, other = UserFactory(), UserFactory()
    mid = UserFactory(sponsor=top)
    client.force_login(top)
    assert client.get(reverse("team:home")).context["stats"].team_size == 1
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(sponsor=mid)
    assert client.get(reverse("team:home")).context["stats"].per_level[:2] == [1, 1]
    with django_capture_on_commit_callbacks(execute=True):
        user_sponsor_change(user=mid, new_sponsor=other, changed_by=None, reason="move")
    assert client.get(reverse("team:home")).context["stats"].team_size == 0
    client.force_login(other)
    assert client.get(reverse("team:home")).context["stats"].team_size == 2


def test_the_2fa_step_keeps_the_next_page_and_expires(client, member_with_2fa):
    _user, device, _codes = member_with_2fa
    client.post(reverse("accounts:login") + "?next=/team/", {"username": "careful", "password": PASSWORD,
                                                             "next": "/team/"})
    response = client.post(reverse("accounts:login_verify"), {"token": _code_now(device, 1)})
    assert response.url == "/team/"
    client.post(reverse("accounts:logout"))
    _login(client, "careful")
    session = client.session
    session["pending_2fa"]["at"] -= 3600
    session.save()
    late = client.post(reverse("accounts:login_verify"), {"token": _code_now(device, 2)})
    assert late.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_genealogy_pages_through_many_direct_referrals(client):
    top = UserFactory()
    for _ in range(55):
        UserFactory(sponsor=top)
    client.force_login(top)
    first = client.get(reverse("team:tree", args=[top.pk]))
    assert len(first.context["children"]) == 50 and first.context["more"]
    rest = client.get(reverse("team:tree", args=[top.pk]), {"offset": 50})
    assert len(rest.context["children"]) == 5 and not rest.context["more"]
    names = [row["member"].username for row in first.context["children"] + rest.context["children"]]
    assert len(set(names)) == 55


def test_pages_need_a_login(client):
    for name in ("accounts:profile", "accounts:security", "team:home", "team:members"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("accounts:login") in response.url


@pytest.mark.django_db(transaction=True)
def test_registration_survives_a_broker_outage_at_commit(client, monkeypatch):
    from accounts import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.welcome_email_send_task, "delay", broker_down)
    response = _join(client)
    assert response.status_code == 302
    assert User.objects.filter(username="newbie").exists()


def test_a_throttled_code_says_how_long_to_wait_not_that_it_is_wrong(client, member_with_2fa):
    user, device, _codes = member_with_2fa
    _login(client, "careful")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5,
                                                   throttling_failure_timestamp=timezone.now())
    response = client.post(reverse("accounts:login_verify"), {"token": _code_now(device, shift=1)})
    message = " ".join(response.context["form"].errors["token"])
    assert "wait 16 seconds" in message and "not valid" not in message
    assert "_auth_user_id" not in client.session


def test_wrong_authenticator_codes_do_not_lock_out_the_recovery_codes(client, member_with_2fa):
    user, device, codes = member_with_2fa
    _login(client, "careful")
    for wrong in ("000000", "111111", "222222"):
        client.post(reverse("accounts:login_verify"), {"token": wrong})
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count >= 1
    response = client.post(reverse("accounts:login_verify"), {"token": codes[0]})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


def test_the_referral_page_names_the_sponsor_by_display_name_only(client):
    UserFactory(username="secretlogin", first_name="Alice", last_name="Wong")
    sponsor = User.objects.get(username="secretlogin")
    page = client.get(f"/r/{sponsor.referral_code}/", follow=True).content.decode()
    assert "Alice W." in page and "secretlogin" not in page
    preview = client.get(reverse("accounts:register_sponsor"), {"referral_code": sponsor.referral_code})
    assert "Alice W." in preview.content.decode() and "secretlogin" not in preview.content.decode()
    User.objects.filter(pk=sponsor.pk).update(first_name="")
    page = client.get(reverse("accounts:register"), {"ref": sponsor.referral_code}).content.decode()
    assert "s•••n" in page and "secretlogin" not in page


def test_codes_issued_before_random_codes_keep_working(client):
    sponsor = UserFactory(username="oldtimer", first_name="Old")
    User.objects.filter(pk=sponsor.pk).update(referral_code="7KQ2MZ4P")  # an 8-character code of before
    assert "Old" in client.get("/r/7kq2-mz4p/", follow=True).content.decode()
    _join(client, referral_code="7KQ2MZ4P")
    assert User.objects.get(username="newbie").referred_by_id == sponsor.pk


@pytest.mark.parametrize("query", ["q=%00", "level=21", "level=%EF%BC%91", "status=maybe", "page=0",
                                   "q=" + "x" * 151])
def test_bad_team_filters_answer_400_with_the_reason(client, tree25, query):
    client.force_login(tree25["a"])
    for url in (reverse("team:home"), reverse("team:members")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert "cannot use" in response.content.decode() or "NUL" in response.content.decode()


def test_a_huge_tree_offset_answers_400(client, tree25):
    client.force_login(tree25["a"])
    url = reverse("team:tree", args=[tree25["a"].pk])
    response = client.get(url, {"offset": "99999999999999999999"})
    assert response.status_code == 400 and "Offset" in response.content.decode()
    assert client.get(url, {"offset": "50"}).status_code == 200
