"""Exceptions of the sync engine; jobs turn them into row statuses, never strings."""

from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError


class QboError(Exception):
    """Base class for everything that went wrong talking to QuickBooks."""

    code: str | None = None

    @property
    def qbo_message(self) -> str:
        return str(self)


class QboFault(QboError):
    """An Intuit Fault (4xx validation or business error): retrying will not help.

    Attributes:
        code: Intuit's error code as a string ("6240", "610", ...).
        message: the Fault's Message.
        detail: the Fault's Detail, usually the most useful text.
        element: the offending field, when Intuit names one.
        status: the HTTP status of the response.
    """

    def __init__(self, code, message="", detail="", element="", status=400, errors=None):
        self.code = str(code) if code is not None else None
        self.message = message or ""
        self.detail = detail or ""
        self.element = element or ""
        self.status = status
        self.errors = errors or []
        super().__init__(self.qbo_message)

    @property
    def qbo_message(self) -> str:
        text = self.detail or self.message or f"HTTP {self.status}"
        if self.message and self.detail and self.message not in self.detail:
            text = f"{self.message}: {self.detail}"
        return text


class QboAuthError(QboFault):
    """401 / 3200: the access token was refused (expired, revoked or malformed)."""


class QboThrottled(QboFault):
    """429 / 3001: too many requests for this company; retry later."""


class QboUnavailable(QboError):
    """5xx, a timeout or a connection error: QBO may or may not have done the work."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        self.status = status
        self.code = code
        super().__init__(message)


class QboNotConnected(QboError):
    """The firm has no working QuickBooks connection (never connected, or disconnected)."""


class QboRefreshFailed(QboError):
    """Intuit refused the refresh token (invalid_grant): the user must reconnect."""


class Blocked(Exception):
    """The row cannot sync now for a reason of ours; nothing was sent to QBO."""

    def __init__(self, reason, message: str):
        self.reason = reason
        super().__init__(message)


class DependencyBusy(Exception):
    """Something the row needs is being synced by another job; retry shortly."""


# Our own machinery failing (Redis, the database connection): the row did nothing wrong, so
# these are retried like QBO's 5xx and never recorded as a verdict on the row.
INFRASTRUCTURE_ERRORS = (RedisError, OperationalError, InterfaceError)
