import pytest

from phonix import health


@pytest.mark.django_db
def test_healthz_reports_every_dependency_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("database", "redis", "broker", "ok")} == {
        "database": "ok", "redis": "ok", "broker": "ok", "ok": True,
    }
    assert body["last_scan"] == {"next_block": None, "behind": None, "updated_at": None}
    assert body["last_payouts"] is None


@pytest.mark.django_db
def test_healthz_reports_the_last_finished_daily_payout(client):
    from datetime import date

    from django.utils import timezone

    from earnings.models import DailyIncomeRun

    DailyIncomeRun.objects.create(payout_date=date(2026, 11, 20), finished_at=timezone.now(), paid_count=7)
    DailyIncomeRun.objects.create(payout_date=date(2026, 11, 23))  # still running: not reported
    assert client.get("/healthz").json()["last_payouts"]["date"] == "2026-11-20"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"


def test_a_failing_check_is_reported_not_raised(monkeypatch):
    def broken():
        raise ConnectionError("down")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    monkeypatch.setitem(health.CHECKS, "redis", lambda: "ok")
    monkeypatch.setitem(health.CHECKS, "broker", lambda: "ok")
    report = health.health_report()
    assert report["database"] == "error: ConnectionError"
    assert report["ok"] is False


@pytest.mark.django_db
def test_healthz_counts_stuck_items_by_job_until_they_clear(client):
    from phonix.stuck import stuck_item_clear, stuck_item_record

    assert client.get("/healthz").json()["stuck_items"] == {}
    stuck_item_record(job="sweep_advance", item_id=7, error=ValueError("node said no"))
    stuck_item_record(job="sweep_advance", item_id=7, error="again")
    stuck_item_record(job="generation_catch_up", item_id=3, error="bad row")
    assert client.get("/healthz").json()["stuck_items"] == {"generation_catch_up": 1, "sweep_advance": 1}
    from phonix.models import StuckItem

    assert StuckItem.objects.get(job="sweep_advance").attempts == 2
    stuck_item_clear(job="sweep_advance", item_id=7)
    assert client.get("/healthz").json()["stuck_items"] == {"generation_catch_up": 1}
