"""The background-worker fixture (for browser tests): rows finish without anyone running jobs."""

import time

import pytest
import requests

from webapp.extensions import db
from webapp.models import ClientAccount, SyncStatus
from webapp.quickbooks.client import endpoints
from webapp.quickbooks.sync import request_sync

pytestmark = pytest.mark.integration


def test_a_row_syncs_by_itself_with_the_worker_thread(qbo_firm, make, qbo_worker_thread):
    client = make.client(qbo_firm.firm)
    db.session.commit()
    request_sync(client, qbo_firm.user)
    db.session.commit()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(ClientAccount, client.id).qbo_status is SyncStatus.SYNCED:
            break
        time.sleep(0.1)
    assert db.session.get(ClientAccount, client.id).qbo_status is SyncStatus.SYNCED


def test_the_emulators_discovery_document_lists_the_endpoints_we_use(qbo_app):
    ours = endpoints(qbo_app.config)
    document = requests.get(ours.discovery_url, timeout=5).json()
    assert document["authorization_endpoint"] == ours.authorize_url
    assert document["token_endpoint"] == ours.token_url
    assert document["revocation_endpoint"] == ours.revoke_url
