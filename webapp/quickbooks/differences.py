"""What QuickBooks' copy of an object says differently from our row: pure functions, no I/O.

Each difference is a dict the row keeps in `qbo_remote_diff` and the detail shows side by side:
`{"field", "label", "ours", "theirs", "value", "safe"}`. `ours`/`theirs` are display text;
`value` is QBO's value in a form our row can take (ISO date, decimal string), and `safe` says
whether "Take QuickBooks' version" may copy it onto our row without breaking our own rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from ..i18n import N_
from ..models import ClientAccount, Invoice, Payment, Refund
from .mapping import qbo_name

CENT = Decimal("0.01")
NO_DESCRIPTION = "(no description)"  # a line in QuickBooks with none


def money(value) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0)).quantize(CENT)
    except InvalidOperation:
        return Decimal("0.00")


def qbo_time(obj: dict) -> datetime | None:
    """MetaData.LastUpdatedTime as an aware UTC datetime (QBO sends it with an offset)."""
    text = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def sync_token(obj: dict) -> int | None:
    try:
        return int(obj.get("SyncToken"))
    except (TypeError, ValueError):
        return None


def is_deleted(obj: dict) -> bool:
    return obj.get("status") == "Deleted"


def is_voided(obj: dict) -> bool:
    """QBO keeps a voided transaction with zero amounts and "Voided" at the start of its note."""
    return str(obj.get("PrivateNote") or "").startswith("Voided") and money(
        obj.get("TotalAmt")
    ) == Decimal("0.00")


def ref(obj: dict, key: str) -> str | None:
    value = (obj.get(key) or {}).get("value")
    return str(value) if value is not None else None


def ref_name(obj: dict, key: str) -> str:
    found = obj.get(key) or {}
    return str(found.get("name") or found.get("value") or "none")


def _day(text) -> str | None:
    try:
        return date.fromisoformat(str(text)[:10]).isoformat()
    except ValueError:
        return None


def _entry(field, label, ours, theirs, value=None, safe=False) -> dict:
    return {
        "field": field,
        "label": label,
        "ours": ours,
        "theirs": theirs,
        "value": value,
        "safe": safe,
    }


def linked_invoice_ids(obj: dict) -> list[str]:
    return [
        str(link.get("TxnId"))
        for line in obj.get("Line") or []
        for link in line.get("LinkedTxn") or []
        if link.get("TxnType") == "Invoice" and link.get("TxnId")
    ]


def payment_differences(payment: Payment, obj: dict) -> list[dict]:
    found = []
    theirs = money(obj.get("TotalAmt"))
    if theirs != payment.amount:
        # Our amount may follow QBO's only while it still covers what was refunded and the
        # invoice can take the extra.
        headroom = payment.invoice.balance + payment.amount
        safe = payment.refunded_amount <= theirs <= headroom and theirs > 0
        found.append(
            _entry(
                "amount",
                N_("Amount"),
                f"{payment.amount:,.2f}",
                f"{theirs:,.2f}",
                str(theirs),
                safe,
            )
        )
    day = _day(obj.get("TxnDate"))
    if day and day != payment.received_on.isoformat():
        found.append(_entry("date", N_("Date"), payment.received_on.isoformat(), day, day, True))
    client = payment.invoice.client
    if ref(obj, "CustomerRef") and ref(obj, "CustomerRef") != client.qbo_id:
        found.append(
            _entry("customer", N_("Customer"), client.display_name, ref_name(obj, "CustomerRef"))
        )
    invoices = linked_invoice_ids(obj)
    if payment.invoice.qbo_id and payment.invoice.qbo_id not in invoices:
        theirs_text = ", ".join(N_("QBO invoice %(id)s") % {"id": i} for i in invoices) or N_(
            "not applied"
        )
        found.append(_entry("invoice", N_("Applied to"), payment.invoice.number, theirs_text))
    account = ref(obj, "DepositToAccountRef")
    if payment.qbo_deposit_account_id and account and account != payment.qbo_deposit_account_id:
        found.append(
            _entry(
                "account",
                N_("Deposit to"),
                N_("QBO account %(id)s") % {"id": payment.qbo_deposit_account_id},
                ref_name(obj, "DepositToAccountRef"),
                account,
                True,
            )
        )
    return found


def _qbo_lines(obj: dict) -> list[tuple[str, Decimal]]:
    return [
        (str(line.get("Description") or ""), money(line.get("Amount")))
        for line in obj.get("Line") or []
        if line.get("DetailType") == "SalesItemLineDetail"
    ]


def _describe_lines(lines: list[tuple[str, Decimal]]) -> str:
    return "; ".join(f"{text or NO_DESCRIPTION} {amount:,.2f}" for text, amount in lines)


def invoice_differences(invoice: Invoice, obj: dict) -> list[dict]:
    found = []
    theirs_total = money(obj.get("TotalAmt"))
    # QBO's lines may replace ours only if the new total still covers what was paid; the
    # total then follows the lines.
    paid = invoice.total - invoice.balance
    lines_safe = bool(_qbo_lines(obj)) and theirs_total >= paid and theirs_total > 0
    if theirs_total != invoice.total:
        found.append(
            _entry(
                "total",
                N_("Total"),
                f"{invoice.total:,.2f}",
                f"{theirs_total:,.2f}",
                None,
                lines_safe,
            )
        )
    for field, label, ours, key in (
        ("date", N_("Invoice date"), invoice.issue_date, "TxnDate"),
        ("due_date", N_("Due date"), invoice.due_date, "DueDate"),
    ):
        day = _day(obj.get(key))
        if day and day != ours.isoformat():
            found.append(_entry(field, label, ours.isoformat(), day, day, True))
    if ref(obj, "CustomerRef") and ref(obj, "CustomerRef") != invoice.client.qbo_id:
        found.append(
            _entry(
                "customer",
                N_("Customer"),
                invoice.client.display_name,
                ref_name(obj, "CustomerRef"),
            )
        )
    ours_lines = [(line.description, money(line.amount)) for line in invoice.lines]
    theirs_lines = _qbo_lines(obj)
    if ours_lines != theirs_lines:
        value = [
            {
                "description": str(line.get("Description") or ""),
                "quantity": str((line.get("SalesItemLineDetail") or {}).get("Qty") or 1),
                "unit_price": str(
                    money(
                        (line.get("SalesItemLineDetail") or {}).get("UnitPrice")
                        or line.get("Amount")
                    )
                ),
                "amount": str(money(line.get("Amount"))),
            }
            for line in obj.get("Line") or []
            if line.get("DetailType") == "SalesItemLineDetail"
        ]
        found.append(
            _entry(
                "lines",
                N_("Lines"),
                _describe_lines(ours_lines),
                _describe_lines(theirs_lines),
                value,
                lines_safe,
            )
        )
    return found


def refund_differences(refund: Refund, obj: dict) -> list[dict]:
    found = []
    theirs = money(obj.get("TotalAmt"))
    if theirs != refund.amount:
        payment = refund.payment
        safe = 0 < theirs <= payment.refundable_amount + refund.amount
        found.append(
            _entry(
                "amount", N_("Amount"), f"{refund.amount:,.2f}", f"{theirs:,.2f}", str(theirs), safe
            )
        )
    day = _day(obj.get("TxnDate"))
    if day and day != refund.refunded_on.isoformat():
        found.append(_entry("date", N_("Date"), refund.refunded_on.isoformat(), day, day, True))
    client = refund.payment.invoice.client
    if ref(obj, "CustomerRef") and ref(obj, "CustomerRef") != client.qbo_id:
        found.append(
            _entry("customer", N_("Customer"), client.display_name, ref_name(obj, "CustomerRef"))
        )
    return found


def client_differences(client: ClientAccount, obj: dict) -> list[dict]:
    found = []
    theirs = str(obj.get("DisplayName") or "")
    if theirs and theirs != qbo_name(client.display_name):
        found.append(_entry("name", N_("Name"), client.display_name, theirs, theirs[:100], True))
    email = (obj.get("PrimaryEmailAddr") or {}).get("Address")
    if email and client.email and email.lower() != client.email.lower():
        found.append(_entry("email", N_("Email"), client.email, email, email[:254], True))
    return found


DIFFERENCES = {
    "client": client_differences,
    "invoice": invoice_differences,
    "payment": payment_differences,
    "refund": refund_differences,
}
