"""/metrics: Prometheus text behind a bearer token from the environment."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from earnings.tests.factories import member
from phonix.models import CustodyReading

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def samples(text: str) -> dict:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_without_a_configured_token_there_is_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_a_missing_or_wrong_token_is_refused(client, token, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 403
    assert b"phonix_" not in response.content


def test_the_figures_are_exposed_in_the_prometheus_format(client, token):
    member(invested=100)
    member(invested=4000)
    CustodyReading.objects.create(hot_wallet=1000, deposit_addresses=0, ledger_custody=0)
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    values = samples(response.content.decode())
    assert values[("phonix_members", ())] == 2
    assert values[("phonix_obligation_usdt", ())] == 12_300
    assert values[("phonix_subscriptions_active", (("tier", "tier_2"),))] == 1
    assert values[("phonix_reserves_on_chain_usdt", ())] == 1000
    assert values[("phonix_payouts_usdt", (("type", "daily_income"), ("window", "30d")))] == 0
    assert ("phonix_queue_length", (("queue", "payouts"),)) in values
    assert values[("phonix_job_failures_24h", (("job", "scan-deposits"),))] == 0
