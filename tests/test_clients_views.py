"""Clients page: list, open balances, filters, the row menu per status, New client, sync actions."""

import json
import re

import pytest

from webapp.extensions import db
from webapp.models import ClientAccount, SyncEvent, SyncStatus

HX = {"HX-Request": "true"}
RESULTS = {**HX, "HX-Target": "clients-results"}


def row_html(body: str, client_id: int) -> str:
    match = re.search(rf'<tr id="client-{client_id}".*?</tr>', body, re.S)
    assert match, f"row client-{client_id} not in response"
    return match.group(0)


def client_names(body: str) -> list[str]:
    # After the row's selection checkbox; the name cell may end with an "Inactive" tag.
    return re.findall(
        r'<tr id="client-\d+"[^>]*>\s*<td class="select-cell">.*?</td>\s*'
        r"<td>([^<]*?)\s*(?:<small[^>]*>[^<]*</small>)?</td>",
        body,
    )


def test_page_lists_name_email_open_balance_and_quickbooks(client, make, user):
    acme = make.client(user.firm, display_name="Acme Ltd", email="books@acme.test")
    make.invoice(acme, "100.00")
    paid_in_part = make.invoice(acme, "50.00")
    make.payment(paid_in_part, "20.00")
    make.client(user.firm, display_name="No Invoices Yet")
    db.session.commit()

    response = client.get("/clients/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body
    for header in ("Name", "Email", "Open balance", "QuickBooks"):
        assert f">{header}</th>" in body
    row = row_html(body, acme.id)
    assert "books@acme.test" in row
    assert "130.00" in row
    assert "Not synced" in row
    assert "0.00" in body


def test_open_balance_needs_no_query_per_row(client, make, user, app):
    from sqlalchemy import event

    def count_queries(n_clients):
        for _ in range(n_clients):
            make.invoice(make.client(user.firm))
        db.session.commit()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/clients/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert count_queries(2) == count_queries(20)


def test_htmx_search_gets_only_the_results_and_the_poller(client, make, user):
    make.client(user.firm, display_name="Acme Ltd")
    make.client(user.firm, display_name="Bolt & Sons")
    db.session.commit()
    response = client.get("/clients/?q=acme", headers=RESULTS)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="clients-results">')
    assert client_names(body) == ["Acme Ltd"]
    assert 'id="clients-poller" hx-swap-oob="true"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_search_treats_percent_and_underscore_literally(client, make, user):
    make.client(user.firm, display_name="100% Organic")
    make.client(user.firm, display_name="Plain")
    db.session.commit()
    body = client.get("/clients/?q=%25", headers=RESULTS).get_data(as_text=True)
    assert client_names(body) == ["100% Organic"]


def test_filter_by_quickbooks_status(client, make, user):
    make.synced(make.client(user.firm, display_name="In QBO"))
    make.client(user.firm, display_name="Not in QBO")
    db.session.commit()
    body = client.get("/clients/?qbo=synced", headers=RESULTS).get_data(as_text=True)
    assert client_names(body) == ["In QBO"]
    body = client.get("/clients/?qbo=nonsense", headers=RESULTS).get_data(as_text=True)
    assert sorted(client_names(body)) == ["In QBO", "Not in QBO"]


def test_filter_by_status_active_or_inactive(client, make, user):
    make.client(user.firm, display_name="Current")
    make.client(user.firm, display_name="Former", active=False)
    db.session.commit()
    body = client.get("/clients/?status=inactive", headers=RESULTS).get_data(as_text=True)
    assert client_names(body) == ["Former"]
    assert '<small class="muted">Inactive</small>' in body
    body = client.get("/clients/?status=active", headers=RESULTS).get_data(as_text=True)
    assert client_names(body) == ["Current"]
    body = client.get("/clients/?status=nonsense", headers=RESULTS).get_data(as_text=True)
    assert sorted(client_names(body)) == ["Current", "Former"]


def test_fifty_rows_a_page_and_pager_links_keep_the_filters(client, make, user):
    for n in range(51):
        make.client(user.firm, display_name=f"Client {n:02d}")
    make.client(user.firm, display_name="Other")
    db.session.commit()
    last_on_first = db.session.execute(
        db.select(ClientAccount.id).filter_by(display_name="Client 49")
    ).scalar_one()
    first = client.get("/clients/?q=client").get_data(as_text=True)
    assert len(client_names(first)) == 50
    assert "Page 1 of 2" in first
    # Seek pagination: the next page is the rows after the last one shown, filters kept.
    assert f'href="/clients/?after={last_on_first}&amp;q=client"' in first
    second = client.get(f"/clients/?after={last_on_first}&q=client").get_data(as_text=True)
    assert client_names(second) == ["Client 50"]
    assert "Page 2 of 2" in second
    last = client.get("/clients/?q=client&last=1").get_data(as_text=True)
    assert client_names(last) == ["Client 50"]
    assert "Page 2 of 2" in last
    # A link to a row that is not (or no longer) there starts again from the first page.
    beyond = client.get("/clients/?q=client&after=999999").get_data(as_text=True)
    assert "Page 1 of 2" in beyond


def test_empty_states_say_what_to_do(client, user):
    assert "Add one with “New client” above." in client.get("/clients/").get_data(as_text=True)
    filtered = client.get("/clients/?q=zzz").get_data(as_text=True)
    assert "No clients match these filters." in filtered


@pytest.mark.parametrize(
    ("status", "present", "absent"),
    [
        (SyncStatus.NOT_SYNCED, "Sync account to QuickBooks", "Unsync account"),
        (SyncStatus.FAILED, "Sync account to QuickBooks", "Unsync account"),
        (SyncStatus.SKIPPED, "Sync account to QuickBooks", "Unsync account"),
        (SyncStatus.SYNCED, "Unsync account from QuickBooks", "Sync account to"),
        (SyncStatus.SYNCING, "View sync history", "Sync account to"),
        (SyncStatus.UNSYNCING, "View sync history", "Unsync account"),
    ],
)
def test_row_menu_follows_the_status(client, make, user, status, present, absent):
    acme = make.client(user.firm, qbo_status=status)
    db.session.commit()
    row = row_html(client.get("/clients/").get_data(as_text=True), acme.id)
    assert 'aria-label="More actions"' in row
    assert present in row
    assert absent not in row
    assert "View sync history" in row
    if status.is_final:
        assert 'name="watch"' not in row
    else:
        assert f'name="watch" value="{acme.id}:{status.value}"' in row


def test_a_name_with_markup_is_text_in_the_row_menu_too(client, make, user, connected):
    """The row menu is built in Python (webapp/row_menus.py): every value in it is escaped."""
    odd = make.synced(make.client(user.firm, display_name='O"Brien <b>&</b> Sons'))
    db.session.commit()
    row = row_html(client.get("/clients/").get_data(as_text=True), odd.id)
    assert "<b>" not in row
    assert 'title="More actions for O&#34;Brien &lt;b&gt;&amp;&lt;/b&gt; Sons"' in row
    assert "Unsync O&#34;Brien &lt;b&gt;&amp;&lt;/b&gt; Sons from QuickBooks?" in row


def test_unsync_asks_for_confirmation(client, make, user, connected):
    acme = make.synced(make.client(user.firm))
    db.session.commit()
    row = row_html(client.get("/clients/").get_data(as_text=True), acme.id)
    assert f'hx-post="/clients/{acme.id}/unsync" hx-confirm="Unsync' in row


def test_failed_row_shows_qbos_message_on_hover_and_under_the_badge(client, make, user):
    acme = make.client(
        user.firm,
        qbo_status=SyncStatus.FAILED,
        qbo_message="Another customer, vendor or employee is already using this name.",
        qbo_error_code="6240",
    )
    db.session.commit()
    row = row_html(client.get("/clients/").get_data(as_text=True), acme.id)
    assert 'title="Another customer, vendor or employee is already using this name."' in row
    assert '<small class="sync-detail failed">Another customer' in row
    assert "(code 6240)" in row


def test_table_body_targets_the_closest_row(client, user):
    body = client.get("/clients/").get_data(as_text=True)
    assert '<tbody id="clients-body" hx-target="closest tr" hx-swap="outerHTML">' in body


# New client -----------------------------------------------------------------------------------


def test_new_client_form_opens_as_a_fragment_or_a_page(client, user):
    fragment = client.get("/clients/new", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<form id="client-form"')
    for label in ("Display name", "Email", "Phone", "Address"):
        assert f">{label}</label>" in fragment
    page = client.get("/clients/new").get_data(as_text=True)
    assert "<html" in page and 'id="client-form"' in page


def test_new_client_is_added_at_the_top_without_a_reload(client, user):
    response = client.post(
        "/clients/",
        data={"display_name": " Acme Ltd ", "email": "books@acme.test", "phone": "555-0100"},
        headers=HX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#clients-body"
    assert response.headers["HX-Reswap"] == "afterbegin"
    events = json.loads(response.headers["HX-Trigger"])
    assert "close-dialog" in events
    assert events["toast"]["message"] == "Client Acme Ltd added."
    acme = db.session.execute(db.select(ClientAccount)).scalar_one()
    assert body.lstrip().startswith(f'<tr id="client-{acme.id}"')
    assert (acme.display_name, acme.firm_id) == ("Acme Ltd", user.firm_id)
    assert acme.qbo_status is SyncStatus.NOT_SYNCED


def test_new_client_without_js_redirects_back_to_the_list(client, user):
    response = client.post("/clients/", data={"display_name": "Acme Ltd"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"display_name": ""}, "Enter the client&#39;s name."),
        ({"display_name": "   "}, "Enter the client&#39;s name."),
        ({"display_name": "x" * 101}, "Field cannot be longer than 100 characters."),
        ({"display_name": "Acme: Holdings"}, "QuickBooks does not allow &#39;:&#39; in a name."),
        ({"display_name": "Acme\tHoldings"}, "without tabs or line breaks"),
        ({"display_name": "Acme\nHoldings"}, "without tabs or line breaks"),
        ({"display_name": "ACME LTD"}, "A client with this name already exists."),
        ({"display_name": "New One", "email": "not-an-email"}, "email address"),
        ({"display_name": "New One", "phone": "5" * 31}, "cannot be longer than 30"),
        ({"display_name": "New One", "address": "a" * 501}, "cannot be longer than 500"),
    ],
)
def test_new_client_errors_are_shown_next_to_the_field_and_nothing_is_saved(
    client, make, user, data, message
):
    make.client(user.firm, display_name="Acme Ltd")
    db.session.commit()
    response = client.post("/clients/", data=data, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<form id="client-form"')
    assert 'class="field-error"' in body
    assert message in body
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(ClientAccount.id))) == 1


def test_the_same_name_is_fine_in_another_firm(client, make, user):
    make.client(make.firm(), display_name="Acme Ltd")
    db.session.commit()
    assert (
        client.post("/clients/", data={"display_name": "Acme Ltd"}, headers=HX).status_code == 200
    )


# Row actions ----------------------------------------------------------------------------------


def test_sync_marks_the_row_syncing_enqueues_the_job_and_rearms_the_poller(
    client, make, user, queue, connected
):
    acme = make.client(user.firm)
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/sync", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="client-{acme.id}"')
    assert body.index("<tr") < body.index('id="clients-poller"')
    assert 'id="clients-poller" hx-get="/clients/poll"' in body
    assert 'hx-swap-oob="true"' in body.split('id="clients-poller"')[1].split(">")[0]
    assert f'name="watch" value="{acme.id}:syncing"' in body
    assert "Syncing…" in body
    db.session.refresh(acme)
    assert acme.qbo_status is SyncStatus.SYNCING
    [job] = [queue.fetch_job(job_id) for job_id in queue.job_ids]
    assert job.func_name == "webapp.quickbooks.jobs.run_sync"
    assert job.args == ("client", acme.id, user.id)
    event = db.session.execute(db.select(SyncEvent)).scalar_one()
    assert (event.record_type, event.record_id, event.action) == ("client", acme.id, "sync")


def test_unsync_of_a_synced_client_enqueues_the_unsync_job(client, make, user, queue, connected):
    acme = make.synced(make.client(user.firm))
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/unsync", headers=HX)
    assert response.status_code == 200
    assert "Unsyncing…" in response.get_data(as_text=True)
    [job_id] = queue.job_ids
    assert queue.fetch_job(job_id).func_name == "webapp.quickbooks.jobs.run_unsync"


def test_sync_of_a_row_already_syncing_starts_nothing(client, make, user, queue):
    acme = make.client(user.firm, qbo_status=SyncStatus.SYNCING)
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/sync", headers=HX)
    assert response.status_code == 200
    assert queue.job_ids == []
    assert db.session.execute(db.select(SyncEvent)).first() is None
    assert "already working" in json.loads(response.headers["HX-Trigger"])["toast"]["message"]


def test_unsync_of_a_row_not_in_quickbooks_is_refused_with_409_and_a_toast(
    client, make, user, queue
):
    acme = make.client(user.firm)
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/unsync", headers=HX)
    assert response.status_code == 409
    assert response.headers["HX-Reswap"] == "none"
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast == {"message": "Only synced rows can be unsynced.", "level": "error"}
    assert queue.job_ids == []


def test_sync_without_htmx_redirects_back(client, make, user, queue):
    acme = make.client(user.firm)
    db.session.commit()
    response = client.post(f"/clients/{acme.id}/sync")
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients/"


def test_row_endpoint_returns_one_row(client, make, user):
    acme = make.client(user.firm)
    make.invoice(acme, "75.00")
    db.session.commit()
    body = client.get(f"/clients/{acme.id}/row", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="client-{acme.id}"')
    assert "75.00" in body


def test_sync_history_lists_events_and_the_current_message(client, make, user):
    acme = make.client(
        user.firm, qbo_status=SyncStatus.FAILED, qbo_message="Name clash", qbo_error_code="6240"
    )
    db.session.add(
        SyncEvent(
            firm_id=user.firm_id,
            record_type="client",
            record_id=acme.id,
            user_id=user.id,
            action="sync",
            outcome="failed",
            message="Duplicate Name Exists Error",
        )
    )
    db.session.commit()
    body = client.get(f"/clients/{acme.id}/history", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith('<section id="sync-history"')
    for text in ("Sync history", "Duplicate Name Exists Error", "Failed", "Name clash", "6240"):
        assert text in body
    assert user.display_name in body
