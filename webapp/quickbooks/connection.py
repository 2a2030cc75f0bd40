"""Connect, reconnect and disconnect a firm's QuickBooks company (called by the settings views).

These change rows and flush; the view commits.
"""

from __future__ import annotations

from sqlalchemy import func

from ..extensions import db
from ..i18n import N_
from ..models import SYNCED_MODELS, Firm, QboConnection, User, utcnow
from ..queue import AfterCommitJob, enqueue_after_commit
from . import oauth
from .cdc_jobs import request_catch_up
from .errors import QboError

REFRESH_ACCOUNTS_JOB = "webapp.quickbooks.jobs.refresh_accounts"


class ConnectRefused(Exception):
    """Connecting is not possible; the message says why, in plain words."""


def firm_connection(firm_id: int) -> QboConnection | None:
    return db.session.execute(
        db.select(QboConnection).filter_by(firm_id=firm_id)
    ).scalar_one_or_none()


def rows_linked_to(firm_id: int, realm_id: str) -> int:
    """How many of the firm's rows still hold a QBO Id in company `realm_id`."""
    total = 0
    for model in SYNCED_MODELS.values():
        total += db.session.execute(
            db.select(func.count(model.id)).where(
                model.firm_id == firm_id, model.qbo_realm_id == realm_id, model.qbo_id.is_not(None)
            )
        ).scalar_one()
    return total


def complete_connection(
    config, firm: Firm, user: User, code: str, realm_id: str, redirect_uri: str
):
    """Exchange the code and store the connection; same company resumes, settings are kept.

    The company's name and accounts are read by a job that goes out after the view's commit.

    Raises:
        ConnectRefused: another company while rows still point at the old one, or Intuit refused.
    """
    connection = firm_connection(firm.id)
    if connection is not None and connection.realm_id != realm_id:
        linked = rows_linked_to(firm.id, connection.realm_id)
        if linked:
            name = connection.company_name or connection.realm_id
            raise ConnectRefused(
                N_(
                    "You picked a different QuickBooks company. %(count)s records of this firm "
                    'are still linked to "%(name)s". Connect to "%(name)s" again, or unsync those '
                    "records first."
                )
                % {"count": linked, "name": name}
            )
    try:
        token = oauth.exchange_code(config, redirect_uri, code)
    except QboError as error:
        raise ConnectRefused(
            N_("Intuit did not complete the connection: %(qbo)s") % {"qbo": error}
        ) from error
    resumed = connection is not None and connection.realm_id == realm_id
    if connection is None:
        connection = QboConnection(firm_id=firm.id, realm_id=realm_id)
        db.session.add(connection)
    elif connection.realm_id != realm_id:
        # A new company: the old company's account choice means nothing there.
        connection.realm_id = realm_id
        connection.company_name = None
        connection.accounts_fetched_at = None
        # Changes of the old company mean nothing in the new one: start catching up from now.
        connection.cdc_synced_through = None
        firm.deposit_account_enabled = False
        firm.deposit_account_qbo_id = None
        firm.deposit_account_name = None
    if resumed and connection.cdc_synced_through is None:
        # No catch-up had finished before the disconnect: the changes to read start when we
        # first connected, not now, or what QuickBooks changed meanwhile would be skipped.
        connection.cdc_synced_through = connection.connected_at
    oauth.store_tokens(config, connection, token)
    connection.connected_by_id = user.id
    connection.connected_at = utcnow()
    connection.disconnected_at = None
    db.session.flush()
    request_accounts_refresh(firm.id)
    if resumed:
        # Back after a disconnect: catch up on what QuickBooks changed meanwhile.
        request_catch_up(firm.id)
    return connection


def request_accounts_refresh(firm_id: int) -> AfterCommitJob:
    """Have the job that reads the company name and the deposit accounts enqueued at the commit.

    Returns:
        The job; after the commit, `sent` says whether the queue took it.
    """
    return enqueue_after_commit(AfterCommitJob(REFRESH_ACCOUNTS_JOB, firm_id))


def disconnect(config, connection: QboConnection) -> bool:
    """Revoke the tokens at Intuit and forget them; every row keeps its QBO Id.

    Returns:
        Whether Intuit confirmed the revocation (the local disconnect happens either way).
    """
    token = oauth.decrypt(config, connection.refresh_token_encrypted)
    revoked = oauth.revoke(config, token) if token else False
    connection.access_token_encrypted = None
    connection.refresh_token_encrypted = None
    connection.access_expires_at = None
    connection.disconnected_at = utcnow()
    connection.refresh_failing = False
    db.session.flush()
    return revoked
