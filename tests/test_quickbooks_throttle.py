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


def test_the_minute_budget_is_shared_and_enforced(redis_conn):
    first = RealmThrottle(redis_conn, "123", concurrent=10, per_minute=3, max_wait=0.2)
    second = RealmThrottle(redis_conn, "123", concurrent=10, per_minute=3, max_wait=0.2)
    for _ in range(2):
        with first.slot():
            pass
    with second.slot():
        pass
    with pytest.raises(QboThrottled), first.slot():
        pass


def test_companies_do_not_share_limits(redis_conn):
    busy = RealmThrottle(redis_conn, "1", concurrent=1, max_wait=0.1)
    idle = RealmThrottle(redis_conn, "2", concurrent=1, max_wait=0.1)
    with busy.slot():
        assert busy.try_acquire("another call to company 1") == 0  # company 1 is full
        assert idle.try_acquire("a call to company 2") == 1  # company 2 is not
