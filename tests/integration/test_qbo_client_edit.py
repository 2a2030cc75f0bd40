"""Edit client against the emulator: a Synced client's change reaches its Customer, and a client
refused for a vendor's name (6240) can be renamed here and synced again."""

import pytest

from webapp.extensions import db
from webapp.models import SyncEvent, SyncStatus
from webapp.quickbooks.sync import request_sync

pytestmark = pytest.mark.integration

HTMX = {"HX-Request": "true"}


@pytest.fixture
def synced_client(qbo_firm, make, run_jobs):
    acme = make.client(
        qbo_firm.firm, display_name="Acme Dental LLC", email="books@acme.test", phone="555-0100"
    )
    db.session.commit()
    request_sync(acme, qbo_firm.user)
    run_jobs()
    assert acme.qbo_status is SyncStatus.SYNCED
    return acme


def edit(client, record, **fields):
    data = {
        "display_name": record.display_name,
        "email": record.email or "",
        "phone": record.phone or "",
        "address": record.address or "",
        **fields,
    }
    return client.post(f"/clients/{record.id}/edit", data=data, headers=HTMX)


def history(record) -> list[tuple[str, str]]:
    events = db.session.execute(
        db.select(SyncEvent)
        .filter_by(record_type="client", record_id=record.id)
        .order_by(SyncEvent.id)
    ).scalars()
    return [(event.action, event.outcome) for event in events]


def test_a_rename_of_a_synced_client_reaches_its_customer(
    client, qbo_firm, synced_client, run_jobs
):
    [before] = qbo_firm.entities("Customer")
    response = edit(client, synced_client, display_name="Acme Dental Group")
    assert response.status_code == 200
    assert synced_client.qbo_status is SyncStatus.SYNCING
    run_jobs()
    assert synced_client.qbo_status is SyncStatus.SYNCED
    assert synced_client.qbo_message is None
    [after] = qbo_firm.entities("Customer")  # the same customer, renamed: not a second one
    assert after["Id"] == before["Id"] == synced_client.qbo_id
    assert after["DisplayName"] == "Acme Dental Group"
    assert int(after["SyncToken"]) == int(before["SyncToken"]) + 1
    assert synced_client.qbo_sync_token == after["SyncToken"]
    assert history(synced_client)[-2:] == [("update", "queued"), ("update", "synced")]
    row = client.get(f"/clients/{synced_client.id}/row", headers=HTMX).get_data(as_text=True)
    assert "Acme Dental Group" in row and "Synced" in row


def test_an_emptied_email_is_emptied_in_quickbooks_too(client, qbo_firm, synced_client, run_jobs):
    edit(client, synced_client, email="", phone="555-0199")
    run_jobs()
    assert synced_client.qbo_status is SyncStatus.SYNCED
    [customer] = qbo_firm.entities("Customer")
    assert "PrimaryEmailAddr" not in customer or not customer["PrimaryEmailAddr"]
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0199"
    assert customer["DisplayName"] == "Acme Dental LLC"
    assert synced_client.qbo_sync_token == customer["SyncToken"]


def test_a_rename_quickbooks_refuses_keeps_the_row_synced_with_its_words(
    client, qbo_firm, synced_client, qbo_user, run_jobs
):
    qbo_user.post("vendor", {"DisplayName": "Harbor Properties"})
    edit(client, synced_client, display_name="Harbor Properties")
    run_jobs()
    assert synced_client.qbo_status is SyncStatus.SYNCED  # still in QuickBooks, as it was
    assert synced_client.qbo_error_code == "6240"
    assert synced_client.qbo_message.startswith("Not changed in QuickBooks: ")
    assert "Duplicate Name Exists Error" in synced_client.qbo_message
    [customer] = qbo_firm.entities("Customer")
    assert customer["DisplayName"] == "Acme Dental LLC"
    row = client.get(f"/clients/{synced_client.id}/row", headers=HTMX).get_data(as_text=True)
    assert "Not changed in QuickBooks" in row and "(code 6240)" in row

    # Another name goes through: a new request, not QuickBooks' stored refusal of the first.
    edit(client, synced_client, display_name="Acme Dental Group")
    run_jobs()
    assert synced_client.qbo_status is SyncStatus.SYNCED
    assert synced_client.qbo_message is None and synced_client.qbo_error_code is None
    [customer] = qbo_firm.entities("Customer")
    assert customer["DisplayName"] == "Acme Dental Group"


def test_a_client_refused_for_a_vendors_name_is_renamed_here_and_synced_again(
    client, qbo_firm, make, qbo_user, run_jobs
):
    qbo_user.post("vendor", {"DisplayName": "Harbor Properties"})
    landlord = make.client(qbo_firm.firm, display_name="Harbor Properties")
    db.session.commit()
    request_sync(landlord, qbo_firm.user)
    run_jobs()
    assert (landlord.qbo_status, landlord.qbo_error_code) == (SyncStatus.FAILED, "6240")

    response = edit(client, landlord, display_name="Harbor Properties (client)")
    assert response.status_code == 200
    run_jobs()
    assert landlord.qbo_status is SyncStatus.FAILED  # saved here only, until synced again
    assert qbo_firm.entities("Customer") == []

    assert client.post(f"/clients/{landlord.id}/sync", headers=HTMX).status_code == 200
    run_jobs()
    assert landlord.qbo_status is SyncStatus.SYNCED
    [customer] = qbo_firm.entities("Customer")
    assert customer["DisplayName"] == "Harbor Properties (client)"
    assert landlord.qbo_id == customer["Id"]


def test_a_disconnected_firm_cannot_change_a_synced_client(
    client, qbo_firm, synced_client, run_jobs
):
    assert client.post("/settings/integrations/quickbooks/disconnect").status_code in (200, 302)
    response = edit(client, synced_client, display_name="Acme Dental Group")
    assert response.status_code == 422
    assert "Connect it in Settings &gt; Integrations &gt; QuickBooks" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert synced_client.display_name == "Acme Dental LLC"
    run_jobs()
    [customer] = qbo_firm.entities("Customer")
    assert customer["DisplayName"] == "Acme Dental LLC"
