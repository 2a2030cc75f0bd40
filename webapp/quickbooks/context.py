"""What every QuickBooks job works with: an app context, the firm's connection, an API client.

The job owns the transaction of `db.session`; JobContext.commit_progress is how a handler keeps
what QuickBooks already answered before it makes the next call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context

from .. import create_app
from ..extensions import db
from ..i18n import N_
from ..models import Firm, QboConnection, User, utcnow
from ..queue import get_redis
from . import mapping
from .client import QboClient
from .errors import QboNotConnected
from .oauth import ConnectionTokens

_job_app = None
SUCCESS_STAMP_EVERY = timedelta(minutes=1)


@contextmanager
def job_app_context() -> Iterator[None]:
    """The worker (webapp/worker.py) pushes an app context per job; any other runner gets one here."""
    global _job_app
    if has_app_context():
        yield
        return
    if _job_app is None:
        _job_app = create_app()
    with _job_app.app_context():
        yield


@dataclass
class JobContext:
    """What a handler needs: the firm, its company, an API client, who asked."""

    firm: Firm
    connection: QboConnection
    client: QboClient
    user: User | None

    @property
    def config(self):
        return current_app.config

    @property
    def redis(self):
        return get_redis()

    @property
    def realm_id(self) -> str:
        return self.connection.realm_id

    def requestid(self, record, operation: str) -> str:
        return mapping.requestid(
            mapping.firm_namespace(self.firm),
            type(record).RECORD_TYPE,
            record.id,
            record.qbo_sync_generation or 0,
            operation,
        )

    def note_success(self) -> None:
        """Stamp the connection's last successful call, if there was one, at most once a minute.

        The settings page shows it to the minute; stamping it on every job would have every job
        update the same row, and concurrent workers would queue on that row's lock.
        """
        last, now = self.connection.last_success_at, utcnow()
        if self.client.last_success and (last is None or now - last >= SUCCESS_STAMP_EVERY):
            self.connection.last_success_at = now

    def finish(self) -> None:
        """Commit the job's work once: its rows, the connection's stamp and the call counts."""
        self.note_success()
        # The counts join the job's transaction in a savepoint; flushing first makes SQLite open
        # that transaction, which a savepoint on its own would otherwise open and commit alone.
        db.session.flush()
        if self.client.meter is not None:
            self.client.meter.flush(db.session.connection())
        db.session.commit()

    def commit_progress(self) -> None:
        """Commit the job's work so far: what QBO created or deleted must survive a later error."""
        db.session.commit()


@contextmanager
def open_job_context(firm: Firm, user: User | None) -> Iterator[JobContext]:
    """A JobContext for the firm's connected company; the client is closed at the end.

    Raises:
        QboNotConnected: the firm has no connection, or disconnected.
    """
    connection = firm.qbo_connection
    if connection is None or not connection.is_connected:
        raise QboNotConnected(N_("QuickBooks is not connected."))
    config, redis = current_app.config, get_redis()
    tokens = ConnectionTokens.from_connection(connection, config, redis)
    client = QboClient.from_config(connection.realm_id, tokens, config, redis)
    try:
        yield JobContext(firm, connection, client, user)
    finally:
        client.close()
