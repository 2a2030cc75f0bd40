"""Intuit's per-company limits, shared through a real Redis by every worker."""

import time

import pytest

from webapp.quickbooks.errors import QboThrottled
from webapp.quickbooks.throttle import (
    ACQUIRED,
    ALL_SLOTS_BUSY,
    MINUTE_USED_UP,
    SECOND_USED_UP,
    RealmThrottle,
)


def test_no_more_than_the_concurrent_limit_hold_a_slot(redis_conn):
    throttle = RealmThrottle(redis_conn, "123", concurrent=2, per_minute=100, max_wait=0.2)
    assert throttle.try_acquire("a") == 1
    assert throttle.try_acquire("b") == 1
    assert throttle.try_acquire("c") == 0
    throttle.release("a")
    assert throttle.try_acquire("c") == 1


class FrozenClock:
    """Wall-clock seconds that move only when the test says so."""

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


def test_a_call_leaves_the_budget_sixty_seconds_after_it_was_made(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", per_minute=1, max_wait=0.1, clock=clock)
    with throttle.slot():
        pass
    assert throttle.try_acquire("second call") == MINUTE_USED_UP
    clock.now += 59.5
    assert throttle.try_acquire("second call") == MINUTE_USED_UP
    clock.now += 1
    assert throttle.try_acquire("second call") == ACQUIRED


def test_the_window_slides_so_a_calendar_minute_boundary_brings_no_new_budget(redis_conn):
    """QuickBooks counts any 60 seconds: a burst at the end of one clock minute still counts
    against the start of the next (counting per clock minute let 2 x 500 through in seconds)."""
    clock = FrozenClock(now=1_800_000_000.0 - 5)  # 5 s before a clock-minute boundary
    throttle = RealmThrottle(redis_conn, "123", per_minute=4, max_wait=0.1, clock=clock)
    for _ in range(4):
        with throttle.slot():
            clock.now += 0.5
    clock.now += 5  # into the next clock minute
    assert throttle.try_acquire("after the boundary") == MINUTE_USED_UP
    result, wait = throttle.attempt("after the boundary")
    assert result == MINUTE_USED_UP
    assert 50 < wait < 56  # until the first of the four leaves the window


def test_no_more_than_ten_calls_in_any_second(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", per_second=3, max_wait=0.1, clock=clock)
    for _ in range(3):
        with throttle.slot():
            pass
    assert throttle.try_acquire("fourth") == SECOND_USED_UP
    clock.now += 0.5
    assert throttle.try_acquire("fourth") == SECOND_USED_UP
    clock.now += 0.7
    assert throttle.try_acquire("fourth") == ACQUIRED


def test_a_call_still_in_flight_counts_however_long_ago_it_started(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", per_second=1, concurrent=5, clock=clock)
    assert throttle.try_acquire("slow call") == ACQUIRED
    clock.now += 5  # QBO may have received it only now
    assert throttle.try_acquire("next call") == SECOND_USED_UP
    throttle.release("slow call")
    clock.now += 1.2
    assert throttle.try_acquire("next call") == ACQUIRED


def test_a_call_is_counted_from_when_its_answer_arrived(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", per_minute=1, clock=clock)
    with throttle.slot():
        clock.now += 10  # a slow answer
    clock.now += 55
    assert throttle.try_acquire("next call") == MINUTE_USED_UP  # 65 s after it started
    clock.now += 5.2
    assert throttle.try_acquire("next call") == ACQUIRED


def test_batch_calls_have_their_own_minute_budget_and_count_as_calls(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", per_minute=4, batch_per_minute=2, clock=clock)
    for _ in range(2):
        with throttle.slot(batch=True):
            clock.now += 1.5
    with pytest.raises(QboThrottled, match="2 batch calls this minute"):
        throttle.max_wait = 0
        with throttle.slot(batch=True):
            pass
    assert throttle.try_acquire("a single read") == ACQUIRED
    throttle.release("a single read")
    clock.now += 1.5
    assert throttle.try_acquire("another read") == ACQUIRED  # 2 batches + 2 reads
    throttle.release("another read")
    clock.now += 1.5
    assert throttle.try_acquire("one too many") == MINUTE_USED_UP


def test_a_429_slows_every_worker_of_that_company_for_the_cooldown(redis_conn):
    clock = FrozenClock()
    hit = RealmThrottle(redis_conn, "123", per_second=4, cooldown_seconds=0.5, clock=clock)
    other_worker = RealmThrottle(redis_conn, "123", per_second=4, clock=clock)
    other_company = RealmThrottle(redis_conn, "456", per_second=4, clock=clock)
    hit.slow_down()  # what the client does when QuickBooks answered 429
    assert other_worker.cooling_down()
    assert [other_worker.try_acquire(f"call {n}") for n in range(3)] == [
        ACQUIRED,
        ACQUIRED,
        SECOND_USED_UP,  # half of 4 while cooling down
    ]
    assert [other_company.try_acquire(f"call {n}") for n in range(4)] == [ACQUIRED] * 4
    time.sleep(0.6)  # the cooldown is kept by Redis in real time
    assert not other_worker.cooling_down()
    assert other_worker.try_acquire("call 3") == ACQUIRED


def test_a_call_waits_for_the_next_free_second_instead_of_failing(redis_conn):
    throttle = RealmThrottle(redis_conn, "123", per_second=2, max_wait=3)  # Redis's own clock
    started = time.monotonic()
    for _ in range(3):
        with throttle.slot():
            pass
    assert 0.9 < time.monotonic() - started < 2.5


def test_a_redis_error_when_giving_the_slot_back_keeps_quickbooks_answer(redis_conn):
    throttle = RealmThrottle(redis_conn, "123")
    answer = None
    with throttle.slot():
        answer = {"Payment": {"Id": "7"}}
        redis_conn.set("qbo:throttle:123:slots", "not a sorted set")  # giving it back will fail
    assert answer == {"Payment": {"Id": "7"}}


def test_the_slot_of_a_worker_that_died_is_free_again_after_its_time_to_live(redis_conn):
    clock = FrozenClock()
    throttle = RealmThrottle(redis_conn, "123", concurrent=1, slot_ttl=90, clock=clock)
    assert throttle.try_acquire("killed worker") == ACQUIRED  # never released
    clock.now += 60
    assert throttle.try_acquire("next") == ALL_SLOTS_BUSY
    clock.now += 31
    assert throttle.try_acquire("next") == ACQUIRED


def test_companies_do_not_share_limits(redis_conn):
    busy = RealmThrottle(redis_conn, "1", concurrent=1, max_wait=0.1)
    idle = RealmThrottle(redis_conn, "2", concurrent=1, max_wait=0.1)
    with busy.slot():
        assert busy.try_acquire("another call to company 1") == 0  # company 1 is full
        assert idle.try_acquire("a call to company 2") == 1  # company 2 is not
