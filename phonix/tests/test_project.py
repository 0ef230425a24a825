import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from phonix.schedules import SCHEDULES
from phonix.sentry import FILTERED, scrub

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "phonix.settings.production",
        "DJANGO_SECRET_KEY": "a-long-random-looking-production-secret-" + "x1y2z3" * 8,
        "DJANGO_ALLOWED_HOSTS": "phonix.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_sentry_scrubs_secret_names_and_secret_looking_values():
    mnemonic = " ".join(["abandon"] * 11 + ["about"])
    event = {
        "request": {"headers": {"Authorization": "Bearer abc", "Cookie": "sessionid=1"}},
        "extra": {"hot_wallet_private_key": "k", "note": f"seed was {mnemonic}", "amount": "5"},
        "frames": [{"vars": {"key": "0" * 64, "hex": "ab" * 32}}],
    }
    cleaned = scrub(event)
    assert cleaned["request"]["headers"] == {"Authorization": FILTERED, "Cookie": FILTERED}
    assert cleaned["extra"]["hot_wallet_private_key"] == FILTERED
    assert mnemonic not in cleaned["extra"]["note"]
    assert cleaned["extra"]["amount"] == "5"
    assert cleaned["frames"][0]["vars"]["key"] == FILTERED
    assert cleaned["frames"][0]["vars"]["hex"] == FILTERED


@pytest.mark.django_db
def test_setup_periodic_tasks_creates_every_schedule_and_is_safe_to_rerun():
    call_command("setup_periodic_tasks", stdout=StringIO())
    PeriodicTask.objects.filter(name=next(iter(SCHEDULES))).update(task="stale.path", enabled=False)
    out = StringIO()
    call_command("setup_periodic_tasks", stdout=out)

    stored = {task.name: task for task in PeriodicTask.objects.select_related("crontab")}
    assert set(stored) == set(SCHEDULES)
    for name, (task_path, cron, queue) in SCHEDULES.items():
        assert stored[name].task == task_path and stored[name].queue == queue and stored[name].enabled
        assert str(stored[name].crontab.timezone) == "UTC"
        for field, value in cron.items():
            assert getattr(stored[name].crontab, field) == value
    assert f"0 created, {len(SCHEDULES)} updated" in out.getvalue()


def test_every_scheduled_task_is_registered_with_celery():
    from phonix.celery import app

    app.loader.import_default_modules()
    missing = [path for path, _cron, _queue in SCHEDULES.values() if path not in app.tasks]
    assert not missing


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from accounts.models import User
    from wallet.ledger.reconciliation import ledger_reconcile

    call_command("seed_demo", stdout=StringIO())
    users, report = User.objects.count(), ledger_reconcile()
    call_command("seed_demo", stdout=StringIO())

    assert User.objects.count() == users >= 4
    assert User.objects.filter(username="admin", is_superuser=True).exists()
    assert ledger_reconcile().entries == report.entries
    assert ledger_reconcile().ok


@pytest.mark.parametrize("url, status", [("/no-such-page/", 404)])
@pytest.mark.django_db
def test_error_pages_use_the_layout(client, settings, url, status):
    settings.DEBUG = False
    response = client.get(url)
    assert response.status_code == status
    assert "Phonix" in response.content.decode()


@pytest.mark.django_db
def test_simplified_chinese_is_shipped(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-hans"' in page
    assert "Log in" not in page  # the navigation is translated, not left in English


@pytest.mark.django_db
def test_admin_login_tells_staff_where_to_set_up_two_factor(client):
    page = client.get("/admin/login/").content.decode()
    assert 'href="/accounts/security/"' in page
    assert 'name="otp_token"' in page  # the second factor is asked for on the same form
