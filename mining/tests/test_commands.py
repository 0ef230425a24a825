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
