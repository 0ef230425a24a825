import pytest
from django.core.management import CommandError, call_command

from mining.models import AsicMiner, NetworkSnapshot

pytestmark = pytest.mark.django_db


def test_refresh_market_data_prints_one_summary_line(market_server, capsys):
    call_command("refresh_market_data")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("market data: live price=coingecko difficulty=mempool.space")
    assert "ticker 10 coins" in out[0]
    assert NetworkSnapshot.objects.count() == 1


def test_refresh_market_data_fails_when_values_are_stale(market_server):
    call_command("refresh_market_data")
    for prefix in ("/coingecko", "/mempool", "/bci"):
        market_server.down(prefix)
    with pytest.raises(CommandError, match="stale price,difficulty"):
        call_command("refresh_market_data")


def test_setup_periodic_tasks_schedules_the_refresh_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    call_command("setup_periodic_tasks")
    task = PeriodicTask.objects.get(name="refresh-market-data")
    assert task.task == "mining.tasks.market_data_refresh_task"
    assert task.crontab.minute == "*/5"


def test_the_catalogue_is_loaded_by_the_data_migration(catalogue):
    assert AsicMiner.objects.count() == 27
    s19 = AsicMiner.objects.get(maker="Bitmain", model="Antminer S19")
    assert (s19.hashrate_ths, s19.power_w, s19.year) == (95, 3250, 2020)
    a16xp = AsicMiner.objects.get(model="Avalon A16 XP")
    assert (a16xp.hashrate_ths, a16xp.power_w, str(a16xp.efficiency_j_th)) == (300, 3850, "12.80")
    assert set(AsicMiner.objects.values_list("maker", flat=True)) == {"Bitmain", "MicroBT", "Canaan"}


def _ended_session():
    import datetime as dt

    from django.utils import timezone

    from accounts.tests.factories import UserFactory
    from mining.tests.factories import mining_session

    return mining_session(UserFactory(), started_at=timezone.now() - dt.timedelta(hours=25))


def test_complete_mining_sessions_prints_one_line_and_a_dry_run_writes_nothing(capsys, invariants):
    session = _ended_session()
    call_command("complete_mining_sessions", "--dry-run")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("DRY RUN — would complete 1 mining sessions, 1 free rewards")
    session.refresh_from_db()
    assert session.completed_at is None
    call_command("complete_mining_sessions")
    assert capsys.readouterr().out.startswith("completed 1 mining sessions, 1 free rewards, 0.100000 USDT")
    call_command("complete_mining_sessions")
    assert capsys.readouterr().out.startswith("completed 0 mining sessions")


def test_complete_mining_sessions_fails_when_a_session_is_stuck(invariants):
    from django.db import connection

    from phonix.models import StuckItem

    session = _ended_session()
    # The key of the session's reward batch is already taken by another posting.
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)"
                       " VALUES ('bonus', %s, 'other', '', now())", [f"mining:sessions:{session.pk}-{session.pk}"])
    with pytest.raises(CommandError, match=f"stuck sessions: {session.pk}"):
        call_command("complete_mining_sessions")
    assert StuckItem.objects.filter(item_id=str(session.pk)).exists()


def test_the_completion_task_runs_every_minute_and_twice_changes_nothing(invariants):
    from django_celery_beat.models import PeriodicTask

    from mining.models import MiningSession
    from mining.tasks import mining_sessions_complete_task

    call_command("setup_periodic_tasks")
    task = PeriodicTask.objects.get(name="complete-mining-sessions")
    assert task.task == "mining.tasks.mining_sessions_complete_task" and task.queue == "payouts"
    assert task.crontab.minute == "*" and task.crontab.hour == "*"
    _ended_session()
    assert mining_sessions_complete_task.delay().get().startswith("completed 1 mining sessions")
    before = list(MiningSession.objects.values_list("pk", "completed_at", "outcome", "reward"))
    assert mining_sessions_complete_task.delay().get().startswith("completed 0 mining sessions")
    assert list(MiningSession.objects.values_list("pk", "completed_at", "outcome", "reward")) == before
