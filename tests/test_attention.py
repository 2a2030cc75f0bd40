"""The top bar's "needs attention" count: Failed rows and what QuickBooks changed, per firm."""

from webapp.extensions import db
from webapp.models import RemoteState, SyncStatus
from webapp.reconciliation.attention import attention_counts


def test_counts_failed_rows_and_quickbooks_changes_of_every_list_of_the_firm_alone(make):
    firm, other = make.firm(), make.firm()
    client = make.client(firm, qbo_status=SyncStatus.FAILED)
    invoice = make.invoice(make.client(firm), "300.00", qbo_remote_state=RemoteState.CHANGED)
    payment = make.payment(invoice, qbo_status=SyncStatus.FAILED)
    make.refund(payment, "10.00", qbo_remote_state=RemoteState.DELETED)
    make.invoice(client, "50.00", qbo_remote_state=RemoteState.VOIDED)
    make.client(firm, qbo_remote_state=RemoteState.INACTIVE)
    make.client(firm, qbo_remote_state=RemoteState.MERGED)
    make.client(firm)  # nothing to look at
    # Another firm's troubles are not this firm's.
    theirs = make.invoice(make.client(other, qbo_status=SyncStatus.FAILED), "80.00")
    make.payment(theirs, qbo_remote_state=RemoteState.CHANGED)
    db.session.commit()

    assert attention_counts(firm.id) == {"failed": 2, "changed": 2, "deleted": 3, "total": 7}
    assert attention_counts(other.id) == {"failed": 1, "changed": 1, "deleted": 0, "total": 2}
    assert attention_counts(make.firm().id)["total"] == 0
