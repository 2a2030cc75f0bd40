"""The page pollers of Clients, Invoices and Payments (docs/architecture.md): one query for all
watched rows, out-of-band rows only for changed statuses, and 204 / 200 / 286."""

import re

import pytest
from sqlalchemy import event

from webapp.extensions import db
from webapp.models import SyncStatus

HX = {"HX-Request": "true"}


def new_client(make, firm, **kw):
    return make.client(firm, **kw)


def new_invoice(make, firm, **kw):
    return make.invoice(make.client(firm), **kw)


def new_payment(make, firm, **kw):
    return make.payment(make.invoice(make.client(firm)), "10.00", **kw)


PAGES = [
    pytest.param("/clients/poll", "client", new_client, id="clients"),
    pytest.param("/billing/invoices/poll", "invoice", new_invoice, id="invoices"),
    pytest.param("/billing/payments/poll", "payment", new_payment, id="payments"),
]


def poll(client, url, rows):
    query = "&".join(f"watch={row.id}:{status}" for row, status in rows)
    return client.get(f"{url}?{query}", headers=HX)


@pytest.mark.parametrize(("url", "kind", "new"), PAGES)
def test_nothing_changed_is_204(client, make, user, url, kind, new):
    row = new(make, user.firm, qbo_status=SyncStatus.SYNCING)
    db.session.commit()
    response = poll(client, url, [(row, "syncing")])
    assert response.status_code == 204
    assert response.data == b""


@pytest.mark.parametrize(("url", "kind", "new"), PAGES)
def test_some_changed_some_pending_is_200_with_only_the_changed_rows(
    client, make, user, url, kind, new
):
    done = new(make, user.firm, qbo_status=SyncStatus.SYNCED)
    waiting = new(make, user.firm, qbo_status=SyncStatus.SYNCING)
    db.session.commit()
    response = poll(client, url, [(done, "syncing"), (waiting, "syncing")])
    body = response.text
    assert response.status_code == 200
    assert re.findall(rf'<tr id="{kind}-(\d+)"', body) == [str(done.id)]
    assert body.startswith(f'<template><tr id="{kind}-{done.id}" hx-swap-oob="true">')
    assert body.rstrip().endswith("</tr></template>")
    assert "Synced" in body
    assert "<html" not in body


@pytest.mark.parametrize(("url", "kind", "new"), PAGES)
def test_none_pending_is_286_and_final_rows_carry_no_trigger(client, make, user, url, kind, new):
    failed = new(make, user.firm, qbo_status=SyncStatus.FAILED, qbo_message="Stale object error")
    unsynced = new(make, user.firm, qbo_status=SyncStatus.NOT_SYNCED)
    db.session.commit()
    response = poll(client, url, [(failed, "syncing"), (unsynced, "unsyncing")])
    body = response.text
    assert response.status_code == 286
    assert len(re.findall(r"hx-swap-oob", body)) == 2
    assert 'name="watch"' not in body
    assert "hx-trigger" not in body
    assert "Stale object error" in body
    # The finished rows show the menu for their new status.
    assert "to QuickBooks" in body


@pytest.mark.parametrize(("url", "kind", "new"), PAGES)
def test_another_firms_rows_and_junk_values_are_ignored(client, make, user, url, kind, new):
    theirs = new(make, make.firm(), qbo_status=SyncStatus.SYNCED)
    db.session.commit()
    response = client.get(
        f"{url}?watch={theirs.id}:syncing&watch=abc&watch=12:nope&watch=:"
        f"&watch={10**20}:syncing&watch=-3:syncing",
        headers=HX,
    )
    assert response.status_code == 286
    assert response.text == ""


@pytest.mark.parametrize(("url", "kind", "new"), PAGES)
def test_one_query_whatever_the_number_of_watched_rows(client, make, app, user, url, kind, new):
    table = {"client": "client_account", "invoice": "invoice", "payment": "payment"}[kind]
    rows = [new(make, user.firm, qbo_status=SyncStatus.SYNCING) for _ in range(30)]
    for row in rows[::2]:
        row.qbo_status = SyncStatus.SYNCED  # half of them changed: their rows are rendered
    db.session.commit()

    ids = [row.id for row in rows]  # read before counting: expired rows reload on access

    def queries(watched_ids):
        query = "&".join(f"watch={row_id}:syncing" for row_id in watched_ids)
        statements = []
        db.session.expire_all()  # each request starts cold, as in production

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.get(f"{url}?{query}", headers=HX)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert response.status_code in (200, 204, 286)
        return statements

    one, thirty = queries(ids[:1]), queries(ids)
    assert len(one) == len(thirty)
    on_table = [s for s in thirty if re.search(rf"\bFROM {table}\b", s)]
    assert len(on_table) == 1


@pytest.mark.parametrize(
    ("page", "poller", "new"),
    [
        ("/clients/", "clients-poller", new_client),
        ("/billing/invoices", "invoices-poller", new_invoice),
        ("/billing/payments", "payments-poller", new_payment),
    ],
)
def test_the_page_poller_is_idle_unless_a_row_is_pending(client, make, user, page, poller, new):
    row = new(make, user.firm)
    db.session.commit()
    assert f'<div id="{poller}"></div>' in client.get(page).text
    row.qbo_status = SyncStatus.SYNCING
    db.session.commit()
    body = client.get(page).text
    assert body.count(f'id="{poller}"') == 1
    active = re.search(rf'<div id="{poller}"[^>]*>', body).group(0)
    # static/js/app.js fires the "poll" event on its schedule (only while the tab is visible and
    # a row is watched); a trigger filter would be eval'd, which the page's CSP does not allow.
    assert 'hx-trigger="poll"' in active
    assert "[" not in re.search(r'hx-trigger="([^"]*)"', active).group(1)
    assert 'hx-swap="none"' in active
    assert "null" not in active
    watch = re.escape(poller.replace("-poller", "-body")) + r" input\[name=(&#39;|')watch\1\]"
    assert re.search(rf'hx-include="#{watch}"', active)
    assert re.search(rf'data-poller="#{watch}"', active)


@pytest.mark.parametrize(("url", "kind", "new"), PAGES)
def test_poll_without_htmx_redirects_to_the_page(client, user, url, kind, new):
    response = client.get(f"{url}?watch=1:syncing")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/clients/", "/billing/invoices", "/billing/payments")
