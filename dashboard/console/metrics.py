"""`/metrics`: the console's figures for Prometheus, in its text format (prometheus_client).

Protected by a bearer token from the environment (`METRICS_TOKEN`): Prometheus sends
`Authorization: Bearer <token>`. Without a configured token the endpoint does not exist (404);
a missing or wrong token is refused (403). The figures are the console's, cached the same way.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from .selectors import console_figures


def _gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"phonix_{name}", documentation)
    if value is not None:  # a figure not known yet (no reading, no runs) is left out, not shown as 0
        family.add_metric([], float(value))
    return family


def _gauge_by(name: str, documentation: str, labels: tuple[str, ...], points: dict) -> GaugeMetricFamily:
    """One gauge with a sample per key of `points` (a label value, or a tuple of them)."""
    family = GaugeMetricFamily(f"phonix_{name}", documentation, labels=list(labels))
    for key, value in points.items():
        if value is not None:
            family.add_metric([str(part) for part in (key if isinstance(key, tuple) else (key,))], float(value))
    return family


def _metrics(figures: dict) -> Iterator[Metric]:
    members, subscriptions, payouts = figures["members"], figures["subscriptions"], figures["payouts"]
    yield _gauge("members", "Members (staff not counted).", members["total"])
    yield _gauge("members_active_investors", "Members with an active subscription.", members["active_investors"])
    yield _gauge("members_active_users_30d", "Members who signed in within 30 days.", members["active_users_30d"])
    yield _gauge_by("members_new", "Members who joined in the window.", ("window",), members["new"])
    yield _gauge("obligation_usdt", "Sum over members of their remaining cap room.", members["obligation"])
    by_tier = subscriptions["by_tier"]
    yield _gauge_by("subscriptions_active", "Active subscriptions by tier.", ("tier",),
                    {tier: row["count"] for tier, row in by_tier.items()})
    yield _gauge_by("subscriptions_active_value_usdt", "Value of active subscriptions by tier.", ("tier",),
                    {tier: row["value"] for tier, row in by_tier.items()})
    yield _gauge_by("subscriptions_new", "Subscriptions bought in the window.", ("window",),
                    {window: row["count"] for window, row in subscriptions["new"].items()})
    yield _gauge("subscriptions_completed", "Subscriptions completed at their cap.", subscriptions["completed"])
    yield _gauge("daily_payout_run_rate_usdt", "What the active subscriptions pay on a weekday.",
                 subscriptions["daily_run_rate"])
    yield _gauge_by("payouts_usdt", "Paid from the payouts account by type and window.", ("type", "window"),
                    {(kind, window): amount for kind, windows in payouts["totals"].items()
                     for window, amount in windows.items()})
    balances = figures["balances"]
    yield _gauge_by("member_balances_usdt", "Members' balances by account.", ("account",),
                    {code: balances[code] for code in ("main", "bonus", "withdrawal_hold")})
    reserves = figures["reserves"]
    yield _gauge("reserves_on_chain_usdt", "USDT on chain at the latest custody reconciliation.", reserves["on_chain"])
    yield _gauge("reserves_days_covered", "Days of payouts the reserves cover at the run-rate.",
                 reserves["days_covered"])
    yield _gauge("reserves_read_timestamp_seconds", "When custody was last read on chain.",
                 reserves["read_at"].timestamp() if reserves["read_at"] else None)
    withdrawals = figures["withdrawals"]
    for key, doc in [("pending", "Withdrawals waiting for approval."),
                     ("approved_unsent", "Withdrawals approved, not yet sent."),
                     ("sent_unconfirmed", "Withdrawals sent, not yet completed."),
                     ("rejected_7d", "Withdrawals rejected in 7 days."),
                     ("failed_7d", "Withdrawals failed in 7 days.")]:
        yield _gauge(f"withdrawals_{key}", doc, withdrawals[key])
    yield _gauge("withdrawals_pending_usdt", "Amount waiting for approval.", withdrawals["pending_amount"])
    yield _gauge("withdrawals_oldest_pending_seconds", "Age of the oldest pending withdrawal.",
                 withdrawals["oldest_pending_age"])
    yield _gauge_by("withdrawal_processing_seconds", "Request to completion over 7 days.", ("quantile",),
                    {"0.5": withdrawals["processing_p50"], "0.95": withdrawals["processing_p95"]})
    deposits = figures["deposits"]
    yield _gauge_by("deposit_detection_seconds", "First seen to credited over 7 days.", ("quantile",),
                    {"0.5": deposits["latency_p50"], "0.95": deposits["latency_p95"]})
    yield _gauge("deposits_below_minimum", "Deposits below the minimum waiting for staff.", deposits["below_minimum"])
    yield _gauge("deposits_orphaned", "Deposits dropped by the network.", deposits["orphaned"])
    jobs = figures["jobs"]
    yield _gauge_by("job_failures_24h", "Failed runs of each periodic job in 24 hours.", ("job",),
                    {job["name"]: job["failures_24h"] for job in jobs})
    yield _gauge_by("job_last_success_timestamp_seconds", "Last successful end of each periodic job.", ("job",),
                    {job["name"]: job["last_success"].timestamp() for job in jobs if job["last_success"]})
    yield _gauge_by("job_last_duration_seconds", "Duration of each periodic job's last successful run.", ("job",),
                    {job["name"]: job["duration"] for job in jobs})
    yield _gauge_by("queue_length", "Messages waiting in each Celery queue.", ("queue",), figures["queues"])
    yield _gauge_by("stuck_items", "Items a periodic job could not process, by job.", ("job",),
                    figures["stuck_items"])


class _ConsoleCollector:
    def collect(self) -> Iterator[Metric]:
        return _metrics(console_figures())


def _token_ok(request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), settings.METRICS_TOKEN.encode())


@never_cache
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _token_ok(request):
        return HttpResponseForbidden("A valid bearer token is required.", content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ConsoleCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
