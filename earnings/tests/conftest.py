import datetime as dt

import pytest

from wallet.tests.conftest import balance_of, invariants  # noqa: F401

# Payout tests buy now and pay weekdays of January 2030, so that every purchase has started
# before the dates paid. The daily run refuses a date after today, so here "today" is the end of
# 2030; tests of that refusal set their own.
PAYOUT_TODAY = dt.date(2030, 12, 31)


@pytest.fixture(autouse=True)
def payout_today_in_2030(monkeypatch):
    monkeypatch.setattr("earnings.services.payout_today", lambda: PAYOUT_TODAY)
