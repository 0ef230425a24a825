import threading
from datetime import UTC, datetime

import pytest
from django.db import connections

from mining.models import NetworkSnapshot
from mining.services import market_data_refresh
from mining.tasks import market_data_refresh_task

NOW = datetime(2026, 11, 20, 12, 2, tzinfo=UTC)


@pytest.mark.django_db
def test_task_run_twice_leaves_the_same_state(market_server):
    first = market_data_refresh_task.delay().get()
    state = list(NetworkSnapshot.objects.values())
    second = market_data_refresh_task.delay().get()
    after = list(NetworkSnapshot.objects.values())
    assert first.startswith("market data: live price=coingecko")
    assert first == second
    assert len(after) == 1
    ignore = {"fetched_at", "as_of"}  # the moment of the second run
    assert [{k: v for k, v in row.items() if k not in ignore} for row in after] == \
           [{k: v for k, v in row.items() if k not in ignore} for row in state]


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_write_one_row(market_server):
    barrier = threading.Barrier(2)
    errors = []

    def work():
        try:
            barrier.wait()
            market_data_refresh(now=NOW)
        except Exception as error:  # asserted on below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    snapshot = NetworkSnapshot.objects.get()  # one upsert each, one row
    assert snapshot.height == 873823 and snapshot.stale == []
