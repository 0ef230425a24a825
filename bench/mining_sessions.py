"""Mining sessions: completing 100,000 ended sessions in one run (free rewards to 100,000 bonus
accounts through the ledger), and the every-minute re-run when nothing has ended yet while every
member has a session running."""

import time
from contextlib import contextmanager

from _common import report, scaled, setup_django, slow_statements

setup_django()

from django.db import connection  # noqa: E402

from investment.selectors import plan_current  # noqa: E402
from mining import services as mining_services  # noqa: E402
from mining.services import mining_sessions_complete  # noqa: E402
from wallet.ledger.accounts import platform_accounts_open  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402


def sessions_seed(*, ended: bool) -> int:
    """One session per seeded member, ended an hour ago or started a minute ago, in one statement."""
    offset = "interval '25 hours'" if ended else "interval '1 minute'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO mining_miningsession (user_id, plan_version_id, started_at, ends_at, outcome, reward)
            SELECT u.id, %s, now() - {offset}, now() - {offset} + interval '24 hours', '', 0
            FROM accounts_user u WHERE u.username LIKE 'mine-%%'
            """,
            [plan_current().pk],
        )
        count = cursor.rowcount
        # Half the members mined before: their totals and streaks are updated, not inserted.
        cursor.execute(
            """
            INSERT INTO mining_miningprofile (user_id, free_total, streak, streak_last_day, email_reminder)
            SELECT id, 0.5, 3, (now() AT TIME ZONE 'UTC')::date - 1, false FROM accounts_user
            WHERE username LIKE 'mine-%%' AND mod(id, 2) = 0
            ON CONFLICT (user_id) DO NOTHING
            """,
            [],
        )
        cursor.execute("VACUUM ANALYZE")
    return count


@contextmanager
def timed(spent: dict, key: str, name: str):
    """Add the time spent in mining.services.<name> to spent[key]."""
    original = getattr(mining_services, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - started

    setattr(mining_services, name, wrapper)
    try:
        yield
    finally:
        setattr(mining_services, name, original)


def bench_completion() -> None:
    count = scaled(100_000)
    started = time.perf_counter()
    network_seed(users=count, seed=11, prefix="mine-")
    platform_accounts_open()
    assert sessions_seed(ended=True) == count
    print(f"# seeded {count} members and ended sessions in {time.perf_counter() - started:.1f} s", flush=True)

    spent = {"batches": 0.0, "ledger": 0.0}
    started = time.perf_counter()
    with connection.execute_wrapper(slow_statements), timed(spent, "batches", "_complete_batch"), \
            timed(spent, "ledger", "_rewards_post"):
        result = mining_sessions_complete()
    first = time.perf_counter() - started
    assert result.completed == count and result.rewarded == count and not result.stuck, result

    sessions_seed(ended=False)
    started = time.perf_counter()
    again = mining_sessions_complete()
    rerun = time.perf_counter() - started
    assert again.completed == 0, again
    report("mining_sessions_complete_s", first, "s", count)
    report("mining_sessions_complete_per_s", count / first, "sessions/s", count)
    report("mining_sessions_rerun_s", rerun, "s", count)
    # Where the time goes: the sessions' own statements, the rewards' ledger posting (one transaction
    # per batch, an entry and a history line per member) and the commit.
    report("mining_sessions_own_statements_s", spent["batches"] - spent["ledger"], "s", count)
    report("mining_sessions_ledger_postings_s", spent["ledger"], "s", count)
    report("mining_sessions_commit_s", first - spent["batches"], "s", count)


if __name__ == "__main__":
    bench_completion()
