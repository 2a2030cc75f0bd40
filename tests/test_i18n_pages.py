"""A Dutch user sees Dutch on every page, dialog, partial and toast, not English left unmarked.

The firm below has rows in every sync state, with reasons of ours (stored in English, shown in
the user's language) and QuickBooks' own words (shown as QuickBooks wrote them), a bulk run
going on, a finished one and a cancelled one. Each response's visible text (text nodes, and the
attributes people read: titles, labels, placeholders, confirmations, toasts) is searched for
common English words; the data seeded here and QuickBooks' words are taken out first.
"""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from webapp.extensions import db
from webapp.models import BulkRun, RemoteState, SyncReason, SyncStatus, utcnow
from webapp.quickbooks.state import record_history

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}
HX = {**DUTCH, "HX-Request": "true"}

# QuickBooks' own words and the data seeded here: shown as they are, in any language.
QBO_WORDS = "Duplicate Name Exists Error: The name supplied already exists."
TIMEOUT_DETAIL = "Read timed out after 30 seconds"
INTUIT_WORDS = "invalid_grant The refresh token is invalid or has expired"
DATA = [
    QBO_WORDS,
    TIMEOUT_DETAIL,
    INTUIT_WORDS,
    "Acme Books Inc.",
    "Undeposited Funds",
    "Bookkeeping",
]
# Reasons as the jobs store them: in English, translated where shown.
CANCELLED = "Cancelled before it was sent to QuickBooks"
NAME_CLASH = (
    f'QuickBooks refused the name "Visser Holding": {QBO_WORDS} A vendor or employee in '
    "QuickBooks has this name: rename it there, or give the client another name here (Edit client), "
    "then sync again."
)
UNSYNC_FAILED = (
    "Unsync failed: QuickBooks did not answer after several tries; sync again later. "
    f"Last error: QuickBooks did not answer in time ({TIMEOUT_DETAIL})"
)
NOT_CONNECTED = "QuickBooks is not connected. Connect it in Settings > Integrations > QuickBooks."

# Words a Dutch page never needs (Dutch has "is", "in", "of", "was", "open" and "start" too).
ENGLISH = re.compile(
    r"\b(the|and|to|with|from|your|you|this|that|not|first|rows?|sent|send|sending|sync|synced|"
    r"syncing|unsync|nothing|cancel|cancelled|cancelling|choose|failed|done|left|minute|"
    r"clients?|invoices?|payments?|refunds?|select|selected|deleted|linked|changed|been|are|"
    r"were|cannot|will|before|after|again|yet|here|there|only|more|than|keep|take|version|"
    r"back|close|save|record|records|new|view|history|message|when|who|retry|waiting|enter|"
    r"must|amount|date|due|balance|error|queued|removing|about|accounts?|field|name|refused|it|"
    r"said|answer|tries)\b",
    re.IGNORECASE,
)
READ_ATTRIBUTES = {
    "title",
    "aria-label",
    "placeholder",
    "alt",
    "hx-confirm",
    "data-hint",
    "data-none-selected",
    "data-some-selected",
    "data-all-selected",
}


class VisibleText(HTMLParser):
    """The text a person reads or hears: text nodes and the attributes above."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        button = tag == "input" and dict(attrs).get("type") in ("submit", "button")
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or (button and name == "value")):
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.chunks.append(" ".join(data.split()))


def english_in(response) -> list[str]:
    """The pieces of visible text (and toasts) of a response that contain English words."""
    parser = VisibleText()
    parser.feed(response.get_data(as_text=True))
    chunks = parser.chunks
    toast = json.loads(response.headers.get("HX-Trigger") or "{}").get("toast")
    if toast:
        chunks.append(toast["message"])
    found = []
    for chunk in chunks:
        text = chunk
        for value in DATA:
            text = text.replace(value, " ")
        if ENGLISH.search(text):
            found.append(chunk)
    return found


def failed(record, message, reason=SyncReason.QBO_FAULT, code=None):
    record.qbo_status = SyncStatus.FAILED
    record.qbo_reason = reason.value
    record.qbo_message = message
    record.qbo_error_code = code
    return record


@pytest.fixture
def firm_in_every_state(make, user, queue):
    """Rows in every sync state with our reasons and QuickBooks' words, and a bulk run going."""
    firm = user.firm
    connection = make.connection(firm)
    connection.refresh_failing = True
    connection.last_error = f"Intuit refused the token request: {INTUIT_WORDS}"
    connection.cdc_error = f"QuickBooks refused the catch-up (code 3200): {QBO_WORDS}"
    synced = make.synced(make.client(firm, display_name="Zeeman BV"))
    failed(
        make.client(firm, display_name="Bakkerij Jansen"),
        f"QuickBooks refused it (code 6240): {QBO_WORDS}",
        code="6240",
    )
    failed(
        make.client(firm, display_name="Visser Holding"),
        NAME_CLASH,
        SyncReason.NAME_CLASH,
    )
    failed(make.client(firm, display_name="De Boer"), NOT_CONNECTED, SyncReason.NOT_CONNECTED)
    unsync_failed = make.synced(make.client(firm, display_name="Smit Advies"))
    unsync_failed.qbo_reason = SyncReason.QBO_UNAVAILABLE.value
    unsync_failed.qbo_message = UNSYNC_FAILED
    changed = make.synced(make.client(firm, display_name="Mulder en Zn"))
    changed.qbo_remote_state = RemoteState.CHANGED
    changed.qbo_remote_diff = [
        {
            "field": "email",
            "label": "Email",
            "ours": "info@mulder.test",
            "theirs": "post@mulder.test",
            "value": "post@mulder.test",
            "safe": True,
        }
    ]
    gone = make.client(firm, display_name="Van Dijk")
    gone.qbo_remote_state = RemoteState.MERGED
    record_history(
        gone,
        None,
        "quickbooks",
        "merged",
        message="This was merged into another customer in QuickBooks.",
    )
    record_history(synced, user, "sync", "queued")
    record_history(
        synced,
        user,
        "sync",
        "synced",
        message="Linked to the existing QuickBooks customer with the same name",
    )
    record_history(synced, None, "sweep", "requeued", message="Re-enqueued after being stuck")
    record_history(synced, user, "sync", "cancelled", message=CANCELLED)

    unsynced_client = make.client(firm, display_name="Jansen Bouw")
    waiting = make.invoice(synced, "1250.00", number="F-2026-001")
    waiting.qbo_status = SyncStatus.SYNCING
    waiting.qbo_retry_at = utcnow() + timedelta(minutes=2)
    failed(
        make.invoice(unsynced_client, "80.00", number="F-2026-002"),
        "Sync the client account first",
        SyncReason.CLIENT_NOT_SYNCED,
    )
    failed(make.invoice(synced, "90.00", number="F-2026-003"), CANCELLED)
    make.invoice(unsynced_client, "70.00", number="F-2026-004")
    paid = make.synced(make.invoice(synced, "300.00", number="F-2026-005"))

    payment = make.synced(make.payment(paid, "300.00"))
    refund = make.refund(payment, "25.00", reason="Te veel betaald")
    refund.qbo_status = SyncStatus.SKIPPED
    refund.qbo_message = "Sync turned off for this payment"
    skipped = make.payment(make.invoice(synced, "40.00", number="F-2026-006"), sync_requested=False)
    skipped.qbo_status = SyncStatus.SKIPPED
    skipped.qbo_message = "Sync turned off for this payment"
    db.session.add(
        BulkRun(
            firm_id=firm.id,
            action="sync",
            scope="selected",
            record_type="invoice",
            total=4,
            done=3,
            failed=1,
            started_at=utcnow() - timedelta(minutes=3),
            finished_at=utcnow() - timedelta(minutes=1),
        )
    )
    db.session.commit()
    return firm


def pages(client, firm):
    """Every page, dialog, partial and toast of the app, as a Dutch user gets them."""
    from webapp.models import ClientAccount, Invoice, Payment

    clients = {c.display_name: c for c in db.session.scalars(db.select(ClientAccount))}
    invoices = {i.number: i for i in db.session.scalars(db.select(Invoice))}
    payment = db.session.scalars(db.select(Payment).where(Payment.refunded_amount > 0)).one()
    finished = db.session.scalars(db.select(BulkRun)).one()
    yield "finished run's panel", client.get(f"/bulk/runs/{finished.id}", headers=HX)
    # A bulk run going on: Sync selected of two invoices, one left out (its client is not in QBO).
    picked = [str(invoices["F-2026-003"].id), str(invoices["F-2026-004"].id)]
    yield (
        "bulk confirm dialog",
        client.post(
            "/bulk/preview?list=invoices", data={"action": "sync", "ids": picked}, headers=HX
        ),
    )
    yield (
        "bulk confirm page",
        client.post(
            "/bulk/preview?list=invoices", data={"action": "sync", "ids": picked}, headers=DUTCH
        ),
    )
    yield (
        "unsync confirm dialog",
        client.post(
            "/bulk/preview?list=clients",
            data={"action": "unsync", "ids": [str(clients["Zeeman BV"].id)]},
            headers=HX,
        ),
    )
    yield (
        "send everything dialog",
        client.post("/bulk/preview?list=everything", data={"action": "sync"}, headers=HX),
    )
    yield (
        "nothing to do toast",
        client.post(
            "/bulk/preview?list=invoices",
            data={"action": "sync", "ids": [str(invoices["F-2026-005"].id)]},
            headers=HX,
        ),
    )
    yield (
        "nothing to do page",
        client.post(
            "/bulk/preview?list=invoices",
            data={"action": "sync", "ids": [str(invoices["F-2026-005"].id)]},
            headers=DUTCH,
        ),
    )
    yield (
        "bulk start",
        client.post(
            "/bulk/start?list=invoices", data={"action": "sync", "ids": picked}, headers=HX
        ),
    )
    running = db.session.scalars(db.select(BulkRun).order_by(BulkRun.id.desc())).first()
    yield (
        "already running toast",
        client.post(
            "/bulk/start?list=invoices", data={"action": "sync", "ids": picked}, headers=HX
        ),
    )
    yield "running run's panel", client.get(f"/bulk/runs/{running.id}", headers=HX)
    yield "clients", client.get("/clients/", headers=DUTCH)
    yield "invoices", client.get("/billing/invoices", headers=DUTCH)
    yield "payments", client.get("/billing/payments", headers=DUTCH)
    yield "failed clients", client.get("/clients/?qbo=failed", headers=DUTCH)
    yield "cancel toast and panel", client.post(f"/bulk/runs/{running.id}/cancel", headers=HX)
    yield "cancelled run's panel", client.get(f"/bulk/runs/{running.id}", headers=HX)
    for name in ("Zeeman BV", "Van Dijk", "Smit Advies"):
        yield f"history of {name}", client.get(f"/clients/{clients[name].id}/history", headers=HX)
    yield (
        "invoice history",
        client.get(f"/billing/invoices/{invoices['F-2026-002'].id}/history", headers=HX),
    )
    yield "payment history", client.get(f"/billing/payments/{payment.id}/history", headers=HX)
    changed = clients["Mulder en Zn"]
    yield (
        "differences dialog",
        client.get(f"/reconciliation/rows/client/{changed.id}/differences", headers=HX),
    )
    yield (
        "differences page",
        client.get(f"/reconciliation/rows/client/{changed.id}/differences", headers=DUTCH),
    )
    yield (
        "keep here refused toast",
        client.post(f"/reconciliation/rows/client/{changed.id}/keep-here", headers=HX),
    )
    yield "reconciliation", client.get("/reconciliation/", headers=DUTCH)
    yield (
        "reconciliation, bad dates",
        client.get("/reconciliation/?start=2026-12-01&end=2026-01-01", headers=DUTCH),
    )
    yield "settings quickbooks", client.get("/settings/integrations/quickbooks", headers=DUTCH)
    yield "settings preferences", client.get("/settings/preferences", headers=DUTCH)
    yield "new client", client.get("/clients/new", headers=HX)
    yield "new client, errors", client.post("/clients/", data={"display_name": ""}, headers=HX)
    yield (
        "sync refused toast",
        client.post(f"/billing/invoices/{invoices['F-2026-002'].id}/sync", headers=HX),
    )
    yield "new invoice", client.get("/billing/invoices/new", headers=HX)
    yield (
        "new invoice, errors",
        client.post(
            "/billing/invoices",
            data={
                "client_id": str(clients["Zeeman BV"].id),
                "number": "",
                "issue_date": "2026-11-01",
                "due_date": "2026-10-01",
                "lines-0-description": "Advies",
                "lines-0-quantity": "abc",
                "lines-0-unit_price": "1.999",
            },
            headers=HX,
        ),
    )
    yield "record payment", client.get("/billing/payments/new", headers=HX)
    yield (
        "record payment, errors",
        client.post(
            "/billing/payments",
            data={"client_id": str(clients["Zeeman BV"].id), "amount": "abc", "received_on": "x"},
            headers=HX,
        ),
    )
    yield "refund", client.get(f"/billing/payments/{payment.id}/refund", headers=HX)
    yield (
        "refund, errors",
        client.post(f"/billing/payments/{payment.id}/refund", data={"amount": "0"}, headers=HX),
    )
    yield (
        "refund, too much",
        client.post(
            f"/billing/payments/{payment.id}/refund",
            data={"amount": "9999.00", "refunded_on": "2026-11-30"},
            headers=HX,
        ),
    )
    yield "not found page", client.get("/billing/invoices/999999/history", headers=DUTCH)
    yield "not found toast", client.get("/billing/invoices/999999/history", headers=HX)


def test_every_page_dialog_and_toast_is_in_dutch(client, firm_in_every_state):
    english = {}
    for name, response in pages(client, firm_in_every_state):
        assert response.status_code < 500, name
        if found := english_in(response):
            english[name] = found
    assert english == {}, json.dumps(english, indent=1, ensure_ascii=False)


def test_our_stored_reasons_are_dutch_and_quickbooks_words_stay(client, firm_in_every_state):
    page = client.get("/clients/", headers=DUTCH).text
    assert f"QuickBooks weigerde het (code 6240): {QBO_WORDS}" in page
    assert (
        "Ontkoppelen mislukt: QuickBooks antwoordde niet na meerdere pogingen; synchroniseer "
        "later opnieuw. Laatste fout: QuickBooks antwoordde niet op tijd (Read timed out after "
        "30 seconds)"
    ) in page
    assert f"QuickBooks weigerde de naam &#34;Visser Holding&#34;: {QBO_WORDS}" in page
    settings = client.get("/settings/integrations/quickbooks", headers=DUTCH).text
    assert f"Intuit weigerde het tokenverzoek: {INTUIT_WORDS}" in settings
    assert f"QuickBooks weigerde het bijwerken (code 3200): {QBO_WORDS}" in settings


def test_the_english_pages_are_unchanged(client, firm_in_every_state):
    """The same seeded firm in English: the stored reasons read as they were written."""
    page = client.get("/clients/?qbo=failed").text
    assert "QuickBooks refused it (code 6240): " in page
    assert (
        "Unsync failed: QuickBooks did not answer after several tries"
        in client.get("/clients/").text
    )
