"""Member pages under load: gunicorn (2 workers × 4 threads) against a bare signed-in view.

Seeds 100,000 members under one member (× BENCH_SCALE) and 1,000,000 history lines, a twentieth
of them the top member's, starts gunicorn on the bench database (loopback, a free port), and signs
in as the member whose downline is everyone and as one with no downline. One client first: the
pages in turn, round after round, for a bounded time (p50/p95 per page, each member). Then 20
concurrent clients of the top member, on one page at a time in turns of a second, three rounds
(requests a second). Every figure is also given as a ratio to the bare view (session and user
only) measured in the same run; goals: p95 ratio ≤ 2, throughput ratio ≥ 0.5. The member pages
are served from the page cache while nothing they show changes; `http_<page>_changed_p50_ms` is
the page rendered afresh right after a change (the first view after a deposit or a payout).
"""

import sys

# This script is named like the standard library's http package: its folder goes to the end of
# the search path, so that `import http` still finds the library.
sys.path.append(sys.path.pop(0))

import http.client  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

from _common import ROOT, investors_from_subscriptions, report, scaled, setup_django  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.cached_db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from accounts.models import User  # noqa: E402
from bench._http_urls import BARE_PATH  # noqa: E402
from investment.selectors import plan_current  # noqa: E402
from phonix.page_cache import pages_changed  # noqa: E402
from ranks.services import leg_volumes_recompute  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402

PAGES = {
    "bare": "/" + BARE_PATH,
    "dashboard": "/dashboard/",
    "wallet": "/wallet/",
    "transactions": "/wallet/transactions/",
    "earnings": "/earnings/",
    "team": "/team/",
    "ranks": "/ranks/",
    "invest": "/invest/",
}
WORKERS, THREADS, CLIENTS = 2, 4, 20
ONE_CLIENT_SECONDS = 24.0  # all pages, both members, in rounds
SLICE_SECONDS, LOAD_ROUNDS = 1.0, 3  # with 20 clients: each page for 3 s in all
CHANGED_ROUNDS = 15  # each page rendered afresh after a change of the member's pages
TOP_MEMBER_SHARE = 20  # one history line in this many is the top member's


def seed(members: int, history: int) -> tuple[User, User]:
    """The top member (downline: everyone else) and a member with no downline."""
    phase = Phases()
    result = network_seed(users=members + 1, seed=17)
    phase.done("members")
    plan = plan_current()
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM accounts_user WHERE id <> %s", [result.root_id])
        (ids,) = cursor.fetchone()
        # Subscriptions for one member in four, and five for the top member, for the dashboard and
        # the leg volumes of the team and ranks pages.
        cursor.execute(
            """
            INSERT INTO investment_subscription
                (user_id, plan_version_id, amount, tier, monthly_rate, total_earned, earnings_cap,
                 is_active, bonus_used, started_at, purchase_key)
            SELECT b.user_id, %(plan)s, b.amount, 'tier_1', 6, 0, b.amount * 3, true, 0,
                   now() - interval '200 days', 'bench:' || b.g
            FROM (
                SELECT g, CASE WHEN g <= 5 THEN %(root)s
                               ELSE (%(ids)s::bigint[])[1 + floor(random() * %(n)s)::int] END AS user_id,
                       round((50 + power(random(), 3) * 9950)::numeric, 2) AS amount
                FROM generate_series(1, %(count)s) g
            ) b
            """,
            {"root": result.root_id, "ids": ids, "n": len(ids), "plan": plan.pk, "count": max(5, members // 4)},
        )
        investors_from_subscriptions(cursor)
        # The history: every kind a member sees, over the last year; a twentieth is the top member's.
        cursor.execute(
            """
            INSERT INTO wallet_transaction
                (user_id, type, amount, fee, net_amount, status, txn_hash, wallet_address, description,
                 created_at, updated_at, completed_at)
            SELECT h.user_id, h.type, h.amount, 0, h.amount, 'completed', '', '', '', h.at, h.at, h.at
            FROM (
                SELECT CASE WHEN g %% %(share)s = 0 THEN %(root)s
                            ELSE (%(ids)s::bigint[])[1 + floor(random() * %(n)s)::int] END AS user_id,
                       (ARRAY['daily_income', 'daily_income', 'daily_income', 'daily_income', 'commission',
                              'commission', 'commission', 'weekly_bonus', 'deposit', 'withdrawal',
                              'purchase'])[1 + floor(random() * 11)::int] AS type,
                       round((0.01 + power(random(), 4) * 500)::numeric, 6) AS amount,
                       now() - random() * interval '365 days' AS at
                FROM generate_series(1, %(count)s) g
            ) h
            """,
            {"root": result.root_id, "ids": ids, "n": len(ids), "count": history, "share": TOP_MEMBER_SHARE},
        )
    phase.done("subscriptions and history")
    leg_volumes_recompute()
    phase.done("leg volumes")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as a day's autovacuum would leave the tables
    phase.done("vacuum")
    print(f"# seeding: {phase}", flush=True)
    top = User.objects.get(pk=result.root_id)
    leaf = User.objects.filter(direct_referrals_count=0).order_by("-id").first()
    return top, leaf


class Phases:
    """How long each step of the seeding took, for the line that says where the time went."""

    def __init__(self):
        self.started, self.steps = time.perf_counter(), []

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append(f"{name} {now - self.started:.1f} s")
        self.started = now

    def __str__(self) -> str:
        return ", ".join(self.steps)


def session_cookie(user: User) -> str:
    """A signed-in session, as the login form leaves it (the bench members have no 2FA)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    csrf_secret = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)  # set by the login page
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf_secret}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_database_url() -> str:
    """The owner's URL (as the bench connects) with the bench database's name."""
    url = urlsplit(os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def gunicorn_start(port: int, log) -> subprocess.Popen:
    env = {
        **os.environ, "DATABASE_URL": bench_database_url(), "DATABASE_OWNER_URL": bench_database_url(),
        "DJANGO_SETTINGS_MODULE": "bench._http_settings", "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "phonix.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--threads", str(THREADS), "--worker-class", "gthread",
         "--keep-alive", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )


class Client:
    """One keep-alive connection that asks for pages with a session cookie and times each answer."""

    def __init__(self, port: int, cookie: str):
        self.port, self.cookie = port, cookie
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.connection.request("GET", path, headers={"Cookie": self.cookie, "Host": "127.0.0.1"})
        response = self.connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        return elapsed

    def close(self) -> None:
        self.connection.close()


def gunicorn_ready(port: int, cookie: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped while starting")
        try:
            client = Client(port, cookie)
            client.get(PAGES["bare"])
            client.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer")


def one_client(port: int, cookies: dict[str, str]) -> dict[tuple[str, str], list[float]]:
    """Every page for every member in turn, round after round, so that the machine's load at any
    moment falls on all pages alike."""
    clients = {member: Client(port, cookie) for member, cookie in cookies.items()}
    for client in clients.values():  # warm: the first answer fills the caches the pages use
        for path in PAGES.values():
            client.get(path)
    times = {(member, page): [] for member in clients for page in PAGES}
    deadline = time.perf_counter() + ONE_CLIENT_SECONDS
    while time.perf_counter() < deadline:
        for member, client in clients.items():
            for page, path in PAGES.items():
                times[member, page].append(client.get(path))
    for client in clients.values():
        client.close()
    return times


def many_clients(port: int, cookie: str) -> dict[str, float]:
    """Requests a second per page with CLIENTS concurrent clients. The pages take turns in slices of
    SLICE_SECONDS, round after round, so that a change in the machine's load falls on all alike; a
    slice ends when its last answer has come (that wait counts as the page's time)."""
    served = [dict.fromkeys(PAGES, 0) for _ in range(CLIENTS)]
    spent = dict.fromkeys(PAGES, 0.0)
    # A client that fails breaks the barriers (after a minute) rather than leaving the others waiting.
    begin, end = (threading.Barrier(CLIENTS + 1, timeout=60) for _ in range(2))
    deadline = [0.0]

    def run(index: int) -> None:
        client = Client(port, cookie)
        for _ in range(LOAD_ROUNDS):
            for page, path in PAGES.items():
                begin.wait()
                while time.perf_counter() < deadline[0]:
                    client.get(path)
                    served[index][page] += 1
                end.wait()
        client.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for _ in range(LOAD_ROUNDS):
        for page in PAGES:
            started = time.perf_counter()
            deadline[0] = started + SLICE_SECONDS
            begin.wait()
            end.wait()
            spent[page] += time.perf_counter() - started
    for thread in threads:
        thread.join()
    return {page: sum(counts[page] for counts in served) / spent[page] for page in PAGES}


def after_a_change(port: int, cookie: str, member_id: int) -> dict[str, list[float]]:
    """Each page right after a write that changed the member's pages, as the first view after a
    deposit or a payout: rendered afresh, not served from the page cache."""
    client = Client(port, cookie)
    times: dict[str, list[float]] = {page: [] for page in PAGES if page != "bare"}
    for _ in range(CHANGED_ROUNDS):
        for page in times:
            pages_changed([member_id])
            times[page].append(client.get(PAGES[page]))
    client.close()
    return times


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main() -> None:
    members, history = scaled(100_000), scaled(1_000_000)
    started = time.perf_counter()
    top, leaf = seed(members, history)
    top_lines = top.transactions.count()
    print(f"# seeded {members} members under the top member and {history} history lines "
          f"({top_lines} of them the top member's) in {time.perf_counter() - started:.1f} s", flush=True)
    cookies = {"top": session_cookie(top), "leaf": session_cookie(leaf)}
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = gunicorn_start(port, log)
        try:
            gunicorn_ready(port, cookies["top"], process)
            measure(port, cookies, members, top.pk)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.seek(0)
            errors = [line for line in log.read().decode(errors="replace").splitlines() if "Traceback" in line]
            if errors:
                print(f"# gunicorn logged {len(errors)} tracebacks", flush=True)


def measure(port: int, cookies: dict[str, str], members: int, top_id: int) -> None:
    times = one_client(port, cookies)
    for member, size in (("top", members), ("leaf", 0)):
        bare_p95 = percentile(times[member, "bare"], 0.95)
        suffix = "" if member == "top" else "_leaf"
        for page in PAGES:
            values = times[member, page]
            p50, p95 = statistics.median(values), percentile(values, 0.95)
            report(f"http_{page}{suffix}_p50_ms", p50 * 1000, "ms", f"{size}-downline/{len(values)}-requests")
            report(f"http_{page}{suffix}_p95_ms", p95 * 1000, "ms", f"{size}-downline/{len(values)}-requests")
            if page != "bare":
                report(f"http_{page}{suffix}_p95_ratio", p95 / bare_p95, "x", f"{size}-downline")
    for page, values in after_a_change(port, cookies["top"], top_id).items():
        report(f"http_{page}_changed_p50_ms", statistics.median(values) * 1000, "ms",
               f"{members}-downline/{len(values)}-requests")
    rates = many_clients(port, cookies["top"])
    for page, rate in rates.items():
        report(f"http_{page}_rps", rate, "req/s", f"{members}-downline/{CLIENTS}-clients")
        if page != "bare":
            report(f"http_{page}_throughput_ratio", rate / rates["bare"], "x", f"{members}-downline/{CLIENTS}-clients")
    print(f"# load: {os.getloadavg()[0]:.2f} (1-minute average)", flush=True)


if __name__ == "__main__":
    main()
