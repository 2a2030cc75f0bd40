"""Intuit's per-company limits, shared through a real Redis by every worker."""

import pytest

from webapp.quickbooks.errors import QboThrottled
from webapp.quickbooks.throttle import RealmThrottle


def test_no_more_than_the_concurrent_limit_hold_a_slot(redis_conn):
    throttle = RealmThrottle(redis_conn, "123", concurrent=2, per_minute=100, max_wait=0.2)
    assert throttle.try_acquire("a") == 1
    assert throttle.try_acquire("b") == 1
    assert throttle.try_acquire("c") == 0
    throttle.release("a")
    assert throttle.try_acquire("c") == 1


class FrozenClock:
    """Wall-clock seconds that move only when the test says so (the budget is per clock minute)."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_minute_budget_is_shared_and_enforced(redis_conn):
    clock = FrozenClock()
    first = RealmThrottle(redis_conn, "123", per_minute=3, max_wait=0.2, clock=clock)
    second = RealmThrottle(redis_conn, "123", per_minute=3, max_wait=0.2, clock=clock)
    for _ in range(2):
        with first.slot():
            pass
    with second.slot():
        pass
    with pytest.raises(QboThrottled, match="3 calls this minute"), first.slot():
        pass


def test_the_next_minute_brings_a_new_budget(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", per_minute=1, max_wait=0.1, clock=clock)
    assert throttle.try_acquire("first call") == 1
    assert throttle.try_acquire("second call") == -1
    clock.now += 60
    assert throttle.try_acquire("second call") == 1


def test_companies_do_not_share_limits(redis_conn):
    busy = RealmThrottle(redis_conn, "1", concurrent=1, max_wait=0.1)
    idle = RealmThrottle(redis_conn, "2", concurrent=1, max_wait=0.1)
    with busy.slot():
        assert busy.try_acquire("another call to company 1") == 0  # company 1 is full
        assert idle.try_acquire("a call to company 2") == 1  # company 2 is not
