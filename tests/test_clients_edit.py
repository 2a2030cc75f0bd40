"""Edit client: the row menu's dialog, saved in place; a Synced client's change goes to QuickBooks."""

import json
import re

import pytest

from webapp.extensions import db
from webapp.models import ClientAccount, RemoteState, SyncEvent, SyncStatus

HX = {"HX-Request": "true"}
FORM = {"display_name": "Acme Holdings", "email": "books@acme.test", "phone": "", "address": ""}


def row_html(body: str, client_id: int) -> str:
    match = re.search(rf'<tr id="client-{client_id}".*?</tr>', body, re.S)
    assert match, f"row client-{client_id} not in response"
    return match.group(0)


def edit_item(client, acme) -> str:
    row = row_html(client.get("/clients/").get_data(as_text=True), acme.id)
    match = re.search(r"<li role=\"none\">\s*<button[^>]*>Edit client.*?</li>", row, re.S)
    assert match, "no Edit client item in the row menu"
    return match.group(0)


def toast(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["toast"]


@pytest.fixture
def acme(make, user):
    acme = make.client(
        user.firm, display_name="Acme Ltd", email="books@acme.test", phone="555-0100"
    )
    db.session.commit()
    return acme


def test_the_row_menu_opens_the_edit_dialog_with_get(client, acme):
    item = edit_item(client, acme)
    assert f'hx-get="/clients/{acme.id}/edit" hx-target="#dialog"' in item


def test_the_edit_form_is_filled_with_the_client(client, acme):
    fragment = client.get(f"/clients/{acme.id}/edit", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<form id="client-form"')
    assert f'hx-post="/clients/{acme.id}/edit"' in fragment
    assert ">Edit client</h2>" in fragment
    assert 'value="Acme Ltd"' in fragment
    assert 'value="books@acme.test"' in fragment
    assert 'value="555-0100"' in fragment
    assert ">Save</button>" in fragment
    page = client.get(f"/clients/{acme.id}/edit").get_data(as_text=True)
    assert "<html" in page and 'value="Acme Ltd"' in page


def test_a_rename_swaps_the_row_in_place_closes_the_dialog_and_says_so(client, acme, queue):
    response = client.post(f"/clients/{acme.id}/edit", data=FORM, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#client-{acme.id}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert body.lstrip().startswith(f'<tr id="client-{acme.id}"')
    assert "Acme Holdings" in body and "Not synced" in body
    events = json.loads(response.headers["HX-Trigger"])
    assert "close-dialog" in events
    assert events["toast"] == {"message": "Client Acme Holdings saved.", "level": "success"}
    db.session.expire_all()
    assert (acme.display_name, acme.email, acme.phone) == ("Acme Holdings", "books@acme.test", None)
    assert queue.job_ids == []  # not in QuickBooks: saved here only


def test_without_js_the_edit_redirects_back_to_the_list(client, acme):
    response = client.post(f"/clients/{acme.id}/edit", data=FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients/"
    db.session.expire_all()
    assert acme.display_name == "Acme Holdings"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"display_name": "BOLT & SONS"}, "A client with this name already exists."),
        ({"display_name": ""}, "Enter the client&#39;s name."),
        ({"display_name": "Acme: Holdings"}, "QuickBooks does not allow &#39;:&#39; in a name."),
        ({"display_name": "Acme", "email": "not-an-email"}, "email address"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(
    client, make, user, acme, data, message
):
    make.client(user.firm, display_name="Bolt & Sons")
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/edit", data=data, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<form id="client-form"')
    assert 'class="field-error"' in body and message in body
    db.session.expire_all()
    assert (acme.display_name, acme.email) == ("Acme Ltd", "books@acme.test")


def test_keeping_its_own_name_in_another_case_is_no_clash(client, acme):
    response = client.post(
        f"/clients/{acme.id}/edit", data={**FORM, "display_name": "ACME LTD"}, headers=HX
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert acme.display_name == "ACME LTD"


def test_another_firms_client_is_not_found(client, make, user):
    theirs = make.client(make.firm(), display_name="Theirs Ltd")
    db.session.commit()
    assert client.get(f"/clients/{theirs.id}/edit", headers=HX).status_code == 404
    assert client.post(f"/clients/{theirs.id}/edit", data=FORM, headers=HX).status_code == 404
    db.session.expire_all()
    assert theirs.display_name == "Theirs Ltd"


@pytest.mark.parametrize("status", [SyncStatus.SYNCING, SyncStatus.UNSYNCING])
def test_a_client_with_a_sync_running_cannot_be_edited(client, make, user, status):
    acme = make.client(user.firm, display_name="Acme Ltd", qbo_status=status)
    db.session.commit()
    item = edit_item(client, acme)
    assert 'aria-disabled="true"' in item
    assert '<small class="menu-hint">A sync is already running</small>' in item
    response = client.post(f"/clients/{acme.id}/edit", data=FORM, headers=HX)
    assert response.status_code == 409
    assert response.headers["HX-Reswap"] == "none"
    assert toast(response) == {"message": "A sync is already running", "level": "error"}
    db.session.expire_all()
    assert acme.display_name == "Acme Ltd"


def test_a_failed_client_is_saved_here_and_keeps_quickbooks_message(client, make, user, queue):
    landlord = make.client(
        user.firm,
        display_name="Harbor Properties",
        qbo_status=SyncStatus.FAILED,
        qbo_message="QuickBooks refused it (code 6240): Duplicate Name Exists Error",
        qbo_error_code="6240",
    )
    db.session.commit()
    data = {"display_name": "Harbor Properties (client)"}
    response = client.post(f"/clients/{landlord.id}/edit", data=data, headers=HX)
    assert response.status_code == 200
    assert toast(response)["message"] == (
        "Client Harbor Properties (client) saved. Sync it again to send it to QuickBooks."
    )
    row = row_html(response.get_data(as_text=True), landlord.id)
    assert "Failed" in row and "Duplicate Name Exists Error" in row
    db.session.expire_all()
    assert landlord.qbo_status is SyncStatus.FAILED
    assert queue.job_ids == []  # not resent behind the user's back


def test_a_synced_clients_change_is_queued_for_quickbooks(client, make, user, connected, queue):
    acme = make.synced(make.client(user.firm, display_name="Acme Ltd"))
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/edit", data=FORM, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Syncing…" in row_html(body, acme.id)
    assert 'id="clients-poller" hx-get="/clients/poll"' in body
    assert toast(response) == {
        "message": "Client Acme Holdings saved. Sending the change to QuickBooks…",
        "level": "info",
    }
    [job] = [queue.fetch_job(job_id) for job_id in queue.job_ids]
    assert job.func_name == "webapp.quickbooks.keep_ours.run_keep_ours"
    assert job.args == ("client", acme.id, user.id, "update")
    event = db.session.execute(db.select(SyncEvent)).scalar_one()
    assert (event.action, event.outcome) == ("update", "queued")
    history = client.get(f"/clients/{acme.id}/history", headers=HX).get_data(as_text=True)
    assert "<td>Update in QuickBooks</td>" in history


def test_a_synced_client_saved_unchanged_starts_nothing(client, make, user, connected, queue):
    acme = make.synced(make.client(user.firm, display_name="Acme Ltd", email="books@acme.test"))
    db.session.commit()
    data = {"display_name": "Acme Ltd", "email": "books@acme.test"}
    response = client.post(f"/clients/{acme.id}/edit", data=data, headers=HX)
    assert response.status_code == 200
    assert toast(response) == {"message": "Nothing changed.", "level": "info"}
    assert queue.job_ids == []
    db.session.expire_all()
    assert acme.qbo_status is SyncStatus.SYNCED


def test_a_synced_client_cannot_change_while_quickbooks_is_disconnected(client, make, user, queue):
    acme = make.synced(make.client(user.firm, display_name="Acme Ltd"))
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/edit", data=FORM, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" role="alert" id="client-form-error">' in body
    assert "Connect it in Settings &gt; Integrations &gt; QuickBooks" in body
    assert queue.job_ids == []
    db.session.expire_all()
    assert (acme.display_name, acme.qbo_status) == ("Acme Ltd", SyncStatus.SYNCED)


def test_a_client_quickbooks_changed_is_settled_before_it_is_edited(client, make, user, connected):
    acme = make.synced(make.client(user.firm, display_name="Acme Ltd"))
    acme.qbo_remote_state = RemoteState.CHANGED
    db.session.commit()
    assert "QuickBooks changed it: settle that first" in edit_item(client, acme)
    response = client.post(f"/clients/{acme.id}/edit", data=FORM, headers=HX)
    assert response.status_code == 409
    db.session.expire_all()
    assert acme.display_name == "Acme Ltd"


def test_the_form_needs_the_csrf_token(app, client, acme):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/clients/{acme.id}/edit", data=FORM, headers=HX)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.get(ClientAccount, acme.id).display_name == "Acme Ltd"


def test_a_sync_claimed_after_the_client_was_loaded_makes_the_edit_refused(make, user):
    from webapp.clients.edit_views import still_in_status

    acme = make.client(user.firm, display_name="Acme Ltd")
    db.session.commit()
    assert still_in_status(acme)
    db.session.execute(  # another request's sync claims the row; ours still sees Not synced
        db.update(ClientAccount)
        .where(ClientAccount.id == acme.id)
        .values(qbo_status=SyncStatus.SYNCING)
        .execution_options(synchronize_session=False)
    )
    assert acme.qbo_status is SyncStatus.NOT_SYNCED
    assert not still_in_status(acme)
