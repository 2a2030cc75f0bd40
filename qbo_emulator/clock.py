"""Injectable clocks and Intuit-style time formatting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Intuit's examples render times in the company's zone; the sample companies are Pacific.
PACIFIC = ZoneInfo("America/Los_Angeles")


class SystemClock:
    """Wall-clock time (UTC, timezone aware)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; tests use it to age tokens and requestids."""

    def __init__(self, start: datetime | None = None):
        start = start or datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now


def qbo_datetime(dt: datetime) -> str:
    """Return MetaData style time, e.g. 2025-09-02T10:15:00-07:00."""
    return dt.astimezone(PACIFIC).isoformat(timespec="seconds")


def qbo_time_field(dt: datetime) -> str:
    """Return the envelope `time` field, with milliseconds."""
    return dt.astimezone(PACIFIC).isoformat(timespec="milliseconds")


def qbo_date(dt: datetime) -> str:
    """Return the company-local date used as the default TxnDate."""
    return dt.astimezone(PACIFIC).date().isoformat()


def legacy_webhook_time(dt: datetime) -> str:
    """Return the legacy webhook `lastUpdated` form, e.g. 2015-10-05T14:42:19-0700."""
    return dt.astimezone(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S%z")


def utc_iso(dt: datetime) -> str:
    """Return a sortable UTC timestamp for storage."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_datetime(value: str) -> datetime:
    """Parse an ISO date or datetime; naive values are taken as Pacific (company time)."""
    text = value.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PACIFIC)
    return dt.astimezone(UTC)
