from collections import Counter

from django.core.cache import cache

from wallet.custody.chain import RateLimiter
from wallet.tests.conftest import run_in_threads


def _stamp(limiter: RateLimiter) -> int:
    import time

    limiter.acquire()
    return int(time.time())


def test_no_clock_second_gets_more_calls_than_the_limit():
    limiter = RateLimiter(per_second=2)
    stamps = [_stamp(limiter) for _ in range(5)]
    per_second = Counter(stamps)
    assert max(per_second.values()) <= 2
    assert len(per_second) >= 3  # five calls at two a second cannot fit in fewer seconds


def test_the_count_is_shared_by_separate_limiters_as_by_separate_processes():
    limiters = [RateLimiter(per_second=4) for _ in range(8)]
    per_second = Counter(run_in_threads(8, lambda i: _stamp(limiters[i])))
    assert max(per_second.values()) <= 4
    assert len(per_second) >= 2


def test_a_zero_limit_counts_nothing():
    cache.clear()
    limiter = RateLimiter(per_second=0)
    for _ in range(100):
        limiter.acquire()
    assert not cache._cache.get_client().keys("*tron-node-calls*")


def test_a_count_that_expires_between_its_creation_and_its_increment_is_made_again(monkeypatch):
    from wallet.custody import chain

    cache.clear()
    real_add, expired = chain.cache.add, []

    def add_then_expire(key, value, timeout):
        added = real_add(key, value, timeout=timeout)
        if not expired:  # the first count's five seconds run out before it is incremented
            cache.delete(key)
            expired.append(key)
        return added

    monkeypatch.setattr(chain.cache, "add", add_then_expire)
    RateLimiter(per_second=10).acquire()
    counted = cache._cache.get_client().keys("*tron-node-calls*")
    assert expired and len(counted) == 1 and cache.get(counted[0].decode().split(":", 2)[-1]) == 1
