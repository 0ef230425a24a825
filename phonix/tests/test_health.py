import pytest

from phonix import health


@pytest.mark.django_db
def test_healthz_reports_every_dependency_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "broker": "ok", "ok": True}


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
