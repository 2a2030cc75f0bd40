"""Intuit's rate limits, counted over sliding windows (not calendar minutes or seconds).

Per company (realm) and app: 500 requests in any 60 seconds, 10 in any second, 10 in flight at once,
40 batch calls in any 60 seconds; per company across all apps: 120 batch calls in any 60 seconds.
A batch call is also a request, so it counts against the request limits too.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from . import faults

# [V] Intuit's limits-and-throttles page (per realm and app unless named "company").
DEFAULT_LIMITS = {
    "per_minute": 500,
    "per_second": 10,
    "concurrent": 10,
    "batch_per_minute": 40,
    "batch_per_minute_company": 120,
}
# Fault-setting keys (control API) that tune one limit of one company at run time.
LIMIT_SETTINGS = {f"limit_{name}": name for name in DEFAULT_LIMITS}


def _trim(stamps: deque, now, window: float) -> None:
    while stamps and (now - stamps[0]).total_seconds() >= window:
        stamps.popleft()


class Throttle:
    """Sliding-window counters per (company, app) and per company, plus an in-flight counter.

    Every request is counted, whether enforcement is on or off, so switching throttling on
    mid-run judges the last 60 seconds as Intuit would. A refused request is not counted
    (Intuit documents nothing either way; our choice).
    """

    def __init__(self, clock, limits: dict | None = None):
        self.clock = clock
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.lock = threading.Lock()
        self.minute: dict = defaultdict(deque)
        self.second: dict = defaultdict(deque)
        self.batches: dict = defaultdict(deque)
        self.company_batches: dict = defaultdict(deque)
        self.in_flight: dict = defaultdict(int)

    def limits_for(self, settings: dict | None) -> dict:
        """The base limits overlaid with a company's `limit_*` fault settings."""
        limits = dict(self.limits)
        for key, name in LIMIT_SETTINGS.items():
            if settings and key in settings:
                limits[name] = int(settings[key])
        return limits

    def enter(self, key, batch: bool, enforce: bool, settings: dict | None = None) -> None:
        """Count a request of `key` = (realm, client_id); raise a 3001 fault if a limit is exceeded."""
        now = self.clock.now()
        limits = self.limits_for(settings)
        realm = key[0]
        with self.lock:
            minute, second = self.minute[key], self.second[key]
            batches, company = self.batches[key], self.company_batches[realm]
            _trim(minute, now, 60)
            _trim(second, now, 1)
            _trim(batches, now, 60)
            _trim(company, now, 60)
            if enforce:
                reason = None
                if self.in_flight[key] >= limits["concurrent"]:
                    reason = f"more than {limits['concurrent']} concurrent requests"
                elif len(second) >= limits["per_second"]:
                    reason = f"more than {limits['per_second']} requests in one second"
                elif len(minute) >= limits["per_minute"]:
                    reason = f"more than {limits['per_minute']} requests in 60 seconds"
                elif batch and len(batches) >= limits["batch_per_minute"]:
                    reason = f"more than {limits['batch_per_minute']} batch requests in 60 seconds"
                elif batch and len(company) >= limits["batch_per_minute_company"]:
                    reason = (
                        f"more than {limits['batch_per_minute_company']} batch requests in "
                        "60 seconds for this company across all apps"
                    )
                if reason:
                    raise faults.throttled(f"Too many requests: {reason}.")
            self.in_flight[key] += 1
            minute.append(now)
            second.append(now)
            if batch:
                batches.append(now)
                company.append(now)

    def exit(self, key) -> None:
        with self.lock:
            self.in_flight[key] -= 1

    def reset(self, realm: str) -> None:
        """Forget a company's counters (company reset)."""
        with self.lock:
            for counters in (self.minute, self.second, self.batches):
                for key in [k for k in counters if k[0] == realm]:
                    del counters[key]
            self.company_batches.pop(realm, None)
