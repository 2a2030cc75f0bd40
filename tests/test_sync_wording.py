"""Failure text is shown once and readably: QBO's code once, our numbers instead of QBO's ids."""

import re

from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks.state import in_our_words


def test_the_code_is_shown_once(client, make, user):
    acme = make.client(user.firm)
    invoice = make.invoice(acme, "200.00")
    payment = make.payment(invoice, "11.31")
    payment.qbo_status = SyncStatus.FAILED
    payment.qbo_error_code = "6000"
    payment.qbo_message = (
        "QuickBooks refused it (code 6000): Business Validation Error: The payment amount "
        f"11.31 is more than the open balance 1.00 of {invoice.number}"
    )
    db.session.commit()
    page = client.get("/billing/payments").text
    row = re.search(rf'<tr id="payment-{payment.id}".*?</tr>', page, re.S).group(0)
    shown = re.sub(r"<[^>]+>", " ", row)  # the text on screen (the badge's tooltip aside)
    assert shown.count("code 6000") == 1


def test_qbos_ids_of_the_row_and_its_invoice_become_our_number(app, make, user):
    acme = make.synced(make.client(user.firm, display_name="Acme Ltd"), qbo_id="58")
    invoice = make.synced(make.invoice(acme, "200.00"), qbo_id="146")
    payment = make.payment(invoice, "11.31")
    text = "Object Not Found : Another user has deleted this transaction. (Invoice 146)"
    assert in_our_words(text, payment) == text.replace("Invoice 146", invoice.number)
    assert in_our_words("Customer 58 is inactive", payment) == "Acme Ltd is inactive"
    # Ids of objects that are not this row's stay as QuickBooks wrote them.
    assert in_our_words("(Invoice 999)", payment) == "(Invoice 999)"
