"""Per-company request limits shared by every worker through Redis.

Intuit allows 500 requests a minute and 10 concurrent requests per company and app
(qbo-api.md section 5). Each call takes a slot: a member of a sorted set (concurrency, scored
by time so slots of a dead process expire) and a tick of a per-minute counter (rate). A call
that cannot get a slot within QBO_THROTTLE_MAX_WAIT seconds raises QboThrottled, which the job
treats like Intuit's own 429: retry later.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from .errors import QboThrottled

_ACQUIRE = """
local slots, minute = KEYS[1], KEYS[2]
local now, holder = tonumber(ARGV[1]), ARGV[2]
local max_concurrent, per_minute, slot_ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now - slot_ttl)
if redis.call('ZCARD', slots) >= max_concurrent then return 0 end
if tonumber(redis.call('GET', minute) or '0') >= per_minute then return -1 end
redis.call('ZADD', slots, now, holder)
redis.call('EXPIRE', slots, slot_ttl)
redis.call('INCR', minute)
redis.call('EXPIRE', minute, 120)
return 1
"""


class NullThrottle:
    @contextmanager
    def slot(self):
        yield


class RealmThrottle:
    """Hold one of the company's request slots for the length of a `with` block."""

    def __init__(
        self,
        redis,
        realm_id,
        *,
        per_minute=500,
        concurrent=10,
        max_wait=30.0,
        slot_ttl=120,
        clock: Callable[[], float] = time.time,
    ):
        self.redis = redis
        self.realm_id = realm_id
        self.per_minute = per_minute
        self.concurrent = concurrent
        self.max_wait = max_wait
        self.slot_ttl = slot_ttl
        # Wall-clock seconds: they name the minute, shared by every worker (tests pin it).
        self.clock = clock
        self._script = redis.register_script(_ACQUIRE)

    @classmethod
    def from_config(cls, redis, realm_id, config) -> RealmThrottle:
        return cls(
            redis,
            realm_id,
            per_minute=config.get("QBO_RATE_PER_MINUTE", 500),
            concurrent=config.get("QBO_MAX_CONCURRENT", 10),
            max_wait=config.get("QBO_THROTTLE_MAX_WAIT", 30),
            slot_ttl=int(config.get("QBO_TIMEOUT_SECONDS", 20)) * 3 + 30,
        )

    def _keys(self, now: float) -> list[str]:
        return [
            f"qbo:throttle:{self.realm_id}:slots",
            f"qbo:throttle:{self.realm_id}:minute:{int(now // 60)}",
        ]

    def try_acquire(self, holder: str) -> int:
        """1 when a slot was taken, 0 when 10 calls are in flight, -1 when the minute is used up."""
        now = self.clock()
        args = [now, holder, self.concurrent, self.per_minute, self.slot_ttl]
        return int(self._script(keys=self._keys(now), args=args))

    def release(self, holder: str) -> None:
        self.redis.zrem(f"qbo:throttle:{self.realm_id}:slots", holder)

    @contextmanager
    def slot(self):
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + self.max_wait
        while True:
            result = self.try_acquire(holder)
            if result == 1:
                break
            if time.monotonic() >= deadline:
                what = (
                    f"{self.concurrent} calls already in flight"
                    if result == 0
                    else f"{self.per_minute} calls this minute"
                )
                raise QboThrottled(
                    "3001", "Request limit reached", f"Waiting for a free slot: {what}", status=429
                )
            time.sleep(0.05 if result == 0 else 0.5)
        try:
            yield
        finally:
            self.release(holder)
