"""Per-company request limits shared by every worker through Redis.

Intuit allows, per company and app: 500 requests in any 60 seconds (batch calls included), 10
in any second, 10 at once, and 40 batch calls in any 60 seconds; a 429 asks the caller to wait
60 seconds (docs/quickbooks.md). QuickBooks counts over a sliding window, so this does too: every
call is a member of a sorted set scored by time, and one Lua script (atomic in Redis) trims the
window, checks every limit and takes the slot, so workers on any number of processes never
overshoot together.

How a call is counted, so we stay on the safe side of Intuit's own count:
- it enters the windows when it takes its slot and is re-scored when its answer arrives (QBO saw
  it somewhere between the two, so the later time is the conservative one);
- a call still in flight counts in every window, however long ago it started;
- the windows are `margin` seconds longer than Intuit's, for the network in between.

A 429 that slips through anyway (another app or install using the same company, or Intuit
counting differently) makes the company "cool down": for the next 60 seconds every limit is
`cooldown_factor` of its value for every worker, and each further 429 restarts the 60 seconds.

Time comes from the Redis server (one clock for every worker) unless a test passes `clock`.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from redis.exceptions import RedisError

from .errors import QboThrottled

log = logging.getLogger(__name__)

# Results of an acquire attempt (the first element the script returns).
ACQUIRED = 1
ALL_SLOTS_BUSY = 0
MINUTE_USED_UP = -1
SECOND_USED_UP = -2
BATCH_MINUTE_USED_UP = -3

_ACQUIRE = """
local calls, slots, batches, cooldown = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local holder, is_batch = ARGV[2], ARGV[3] == '1'
local concurrent, per_minute = tonumber(ARGV[4]), tonumber(ARGV[5])
local per_second, batch_per_minute = tonumber(ARGV[6]), tonumber(ARGV[7])
local slot_ttl, margin, factor = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local minute, second = 60 + margin, 1 + margin

if redis.call('EXISTS', cooldown) == 1 then
  concurrent = math.max(1, math.floor(concurrent * factor))
  per_minute = math.max(1, math.floor(per_minute * factor))
  per_second = math.max(1, math.floor(per_second * factor))
  batch_per_minute = math.max(1, math.floor(batch_per_minute * factor))
end

-- A slot whose holder died (SIGKILL, OOM) is given back after slot_ttl.
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now - slot_ttl)
if redis.call('ZCARD', slots) >= concurrent then return {0, 20} end

-- Wait until the oldest call that keeps the window full leaves it, in milliseconds.
local function wait_for(key, window, limit, counted)
  local index = counted - limit
  if index < 0 then return 20 end  -- full because of calls in flight: poll
  local entry = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
  if entry[2] == nil then return 20 end
  return math.max(10, math.ceil((tonumber(entry[2]) + window - now) * 1000))
end

-- Calls still in flight count wherever their start fell (their score is their start time).
redis.call('ZREMRANGEBYSCORE', calls, '-inf', now - minute)
local in_minute = redis.call('ZCARD', calls)
local in_flight_before_minute = redis.call('ZCOUNT', slots, '-inf', now - minute)
if in_minute + in_flight_before_minute >= per_minute then
  return {-1, wait_for(calls, minute, per_minute, in_minute)}
end
local in_second = redis.call('ZCOUNT', calls, now - second, '+inf')
local in_flight_before_second = redis.call('ZCOUNT', slots, '-inf', now - second)
if in_second + in_flight_before_second >= per_second then
  local rank = redis.call('ZCARD', calls)
  return {-2, wait_for(calls, second, per_second, rank)}
end
if is_batch then
  redis.call('ZREMRANGEBYSCORE', batches, '-inf', now - minute)
  local in_batch_minute = redis.call('ZCARD', batches)
  if in_batch_minute >= batch_per_minute then
    return {-3, wait_for(batches, minute, batch_per_minute, in_batch_minute)}
  end
  redis.call('ZADD', batches, now, holder)
  redis.call('PEXPIRE', batches, math.ceil((minute + slot_ttl) * 1000))
end
redis.call('ZADD', slots, now, holder)
redis.call('ZADD', calls, now, holder)
redis.call('PEXPIRE', slots, math.ceil(slot_ttl * 1000))
redis.call('PEXPIRE', calls, math.ceil((minute + slot_ttl) * 1000))
return {1, 0}
"""

_RELEASE = """
local calls, slots, batches = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local holder = ARGV[2]
redis.call('ZREM', slots, holder)
-- XX: re-score only a call still in its window (never add one back).
redis.call('ZADD', calls, 'XX', now, holder)
redis.call('ZADD', batches, 'XX', now, holder)
return 1
"""


class NoFreeSlot(QboThrottled):
    """Our own limiter found no slot in time (QuickBooks was not asked; no 429 was drawn)."""


class NullThrottle:
    """No limits: for clients built without Redis."""

    @contextmanager
    def slot(self, batch: bool = False):
        yield

    def slow_down(self) -> None:
        pass


class RealmThrottle:
    """Hold one of the company's request slots for the length of a `with` block.

    Args:
        redis: the Redis shared by every worker.
        realm_id: the company.
        per_minute, per_second, concurrent, batch_per_minute: Intuit's limits.
        max_wait: seconds a call may wait for a slot before it raises QboThrottled.
        slot_ttl: seconds after which a slot whose holder never gave it back is free again.
        margin: seconds added to each window for the time between us and Intuit.
        cooldown_seconds, cooldown_factor: how long and how much a 429 slows the company.
        clock: seconds since the epoch; None uses the Redis server's clock (one for all).
    """

    def __init__(
        self,
        redis,
        realm_id,
        *,
        per_minute=500,
        per_second=10,
        concurrent=10,
        batch_per_minute=40,
        max_wait=30.0,
        slot_ttl=120,
        margin=0.1,
        cooldown_seconds=60,
        cooldown_factor=0.5,
        clock: Callable[[], float] | None = None,
    ):
        self.redis = redis
        self.realm_id = realm_id
        self.per_minute = per_minute
        self.per_second = per_second
        self.concurrent = concurrent
        self.batch_per_minute = batch_per_minute
        self.max_wait = max_wait
        self.slot_ttl = slot_ttl
        self.margin = margin
        self.cooldown_seconds = cooldown_seconds
        self.cooldown_factor = cooldown_factor
        self.clock = clock
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    @classmethod
    def from_config(cls, redis, realm_id, config) -> RealmThrottle:
        return cls(
            redis,
            realm_id,
            per_minute=config.get("QBO_RATE_PER_MINUTE", 500),
            per_second=config.get("QBO_RATE_PER_SECOND", 10),
            concurrent=config.get("QBO_MAX_CONCURRENT", 10),
            batch_per_minute=config.get("QBO_BATCH_PER_MINUTE", 40),
            max_wait=config.get("QBO_THROTTLE_MAX_WAIT", 30),
            slot_ttl=int(config.get("QBO_TIMEOUT_SECONDS", 20)) * 3 + 30,
            cooldown_seconds=config.get("QBO_THROTTLE_COOLDOWN_SECONDS", 60),
        )

    def _key(self, what: str) -> str:
        return f"qbo:throttle:{self.realm_id}:{what}"

    def _now(self) -> str:
        # An empty string tells the scripts to read the Redis server's clock.
        return "" if self.clock is None else repr(self.clock())

    def attempt(self, holder: str, batch: bool = False) -> tuple[int, float]:
        """Try to take a slot once.

        Returns:
            (ACQUIRED or the limit that is reached, seconds worth waiting before trying again).
        """
        keys = [self._key("calls"), self._key("slots"), self._key("batches"), self._key("cool")]
        args = [
            self._now(),
            holder,
            "1" if batch else "0",
            self.concurrent,
            self.per_minute,
            self.per_second,
            self.batch_per_minute,
            self.slot_ttl,
            self.margin,
            self.cooldown_factor,
        ]
        result, wait_ms = self._acquire(keys=keys, args=args)
        return int(result), int(wait_ms) / 1000

    def try_acquire(self, holder: str, batch: bool = False) -> int:
        """ACQUIRED (1), ALL_SLOTS_BUSY (0), or which window is full (MINUTE_USED_UP, ...)."""
        return self.attempt(holder, batch)[0]

    def release(self, holder: str) -> None:
        """Give the slot back; the call stays counted in its windows from now."""
        keys = [self._key("calls"), self._key("slots"), self._key("batches")]
        self._release(keys=keys, args=[self._now(), holder])

    def slow_down(self) -> None:
        """QuickBooks answered 429: every worker uses a fraction of the limits for a while."""
        try:
            self.redis.set(self._key("cool"), "1", px=int(self.cooldown_seconds * 1000))
        except RedisError as error:
            log.warning("could not slow down company %s after a 429: %s", self.realm_id, error)

    def cooling_down(self) -> bool:
        return bool(self.redis.exists(self._key("cool")))

    def _describe(self, result: int) -> str:
        return {
            ALL_SLOTS_BUSY: f"{self.concurrent} calls already in flight",
            MINUTE_USED_UP: f"{self.per_minute} calls this minute",
            SECOND_USED_UP: f"{self.per_second} calls this second",
            BATCH_MINUTE_USED_UP: f"{self.batch_per_minute} batch calls this minute",
        }[result]

    @contextmanager
    def slot(self, batch: bool = False):
        """Wait for a slot (a batch call also needs room in the batch window), then hold it.

        Raises:
            QboThrottled: no slot within max_wait seconds (handled like Intuit's own 429).
        """
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + self.max_wait
        while True:
            result, wait = self.attempt(holder, batch)
            if result == ACQUIRED:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoFreeSlot(
                    "3001",
                    "Request limit reached",
                    f"Waiting for a free slot: {self._describe(result)}",
                    status=429,
                )
            # A little jitter, so the workers that wait for the same slot do not all wake at once.
            time.sleep(min(left, wait * random.uniform(1.0, 1.2)))
        try:
            yield
        finally:
            try:
                self.release(holder)
            except RedisError as error:
                # QBO has answered; losing that answer over our bookkeeping would be worse. The
                # slot frees itself after slot_ttl.
                log.warning("could not release a QBO slot of company %s: %s", self.realm_id, error)
