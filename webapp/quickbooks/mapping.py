"""Our rows as QBO JSON, and the few reads back: pure functions, no I/O."""

from __future__ import annotations

from decimal import Decimal

from ..models import ClientAccount, Invoice, Payment, Refund

# Intuit forbids these in DisplayName and other names (docs/quickbooks.md, section 9).
_NAME_FORBIDDEN = {":": "-", "\t": " ", "\n": " ", "\r": " "}
REQUESTID_MAX = 50


def requestid(
    namespace: str, record_type: str, record_id: int, generation: int, operation: str
) -> str:
    """A deterministic `requestid` (at most 50 characters) for one write of one row.

    The same row, sync generation and operation always give the same id, so a retry after a
    lost response replays QBO's first answer instead of creating a second object. Unsyncing
    bumps the generation, so a later re-create is a new request. `namespace` names the firm
    (see firm_namespace), because row ids alone repeat across installs and rebuilt databases
    that point at the same QBO company, and QBO would answer a new row with an old object.
    """
    value = f"lb-{namespace}-{record_type}-{record_id}-g{generation}-{operation}"
    if len(value) > REQUESTID_MAX:
        raise ValueError(f"requestid too long: {value}")
    return value


def firm_namespace(firm) -> str:
    """The firm's creation time in milliseconds, base 36 (8 characters): stable, and unique in practice."""
    number = int(firm.created_at.timestamp() * 1000)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    encoded = ""
    while number:
        number, remainder = divmod(number, 36)
        encoded = digits[remainder] + encoded
    return encoded or "0"


def amount(value: Decimal) -> float:
    """A Decimal money amount as the JSON number Intuit expects (2 places)."""
    return float(Decimal(value).quantize(Decimal("0.01")))


def qbo_name(name: str) -> str:
    for bad, good in _NAME_FORBIDDEN.items():
        name = name.replace(bad, good)
    return name.strip()[:500]


MARKER_PREFIX = "[Ledgerbridge "


def marker(record) -> str:
    """Our tag in PrivateNote, used to find an object we created when its response was lost."""
    return f"{MARKER_PREFIX}{type(record).RECORD_TYPE} {record.id}]"


def customer_payload(client: ClientAccount) -> dict:
    body = {"DisplayName": qbo_name(client.display_name), "CompanyName": client.display_name[:100]}
    if client.email:
        body["PrimaryEmailAddr"] = {"Address": client.email[:100]}
    if client.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": client.phone[:30]}
    if client.address:
        lines = [line.strip() for line in client.address.splitlines() if line.strip()][:5]
        body["BillAddr"] = {f"Line{n}": text[:500] for n, text in enumerate(lines, start=1)}
    return body


def invoice_payload(invoice: Invoice, customer_id: str, item_id: str) -> dict:
    lines = []
    for line in invoice.lines:
        lines.append(
            {
                "Amount": amount(line.amount),
                "Description": line.description[:4000],
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item_id},
                    "Qty": float(line.quantity),
                    "UnitPrice": amount(line.unit_price),
                },
            }
        )
    body = {
        "CustomerRef": {"value": customer_id},
        "DocNumber": invoice.number[:21],
        "TxnDate": invoice.issue_date.isoformat(),
        "DueDate": invoice.due_date.isoformat(),
        "PrivateNote": marker(invoice),
        "Line": lines,
    }
    if invoice.memo:
        body["CustomerMemo"] = {"value": invoice.memo[:1000]}
    return body


def payment_payload(
    payment: Payment, customer_id: str, invoice_id: str, deposit_account_id: str
) -> dict:
    """A Payment applied in full to its invoice, built from the row alone (see handlers)."""
    note = marker(payment)
    if payment.description:
        note = f"{note} {payment.description}"
    body = {
        "CustomerRef": {"value": customer_id},
        "TotalAmt": amount(payment.amount),
        "TxnDate": payment.received_on.isoformat(),
        "DepositToAccountRef": {"value": deposit_account_id},
        "PrivateNote": note[:4000],
        "Line": [
            {
                "Amount": amount(payment.amount),
                "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
            }
        ],
    }
    if payment.reference:
        body["PaymentRefNum"] = payment.reference[:21]
    return body


def refund_payload(refund: Refund, customer_id: str, item_id: str, account_id: str) -> dict:
    payment = refund.payment
    description = f"Refund of payment received {payment.received_on.isoformat()}"
    if refund.reason:
        description = f"{description}: {refund.reason}"
    return {
        "CustomerRef": {"value": customer_id},
        "DepositToAccountRef": {"value": account_id},
        "TxnDate": refund.refunded_on.isoformat(),
        "PrivateNote": marker(refund),
        "Line": [
            {
                "Amount": amount(refund.amount),
                "Description": description[:4000],
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item_id},
                    "Qty": 1,
                    "UnitPrice": amount(refund.amount),
                },
            }
        ],
    }


def _links_invoice(obj: dict, invoice_id: str) -> bool:
    return any(
        link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == str(invoice_id)
        for line in obj.get("Line") or []
        for link in line.get("LinkedTxn") or []
    )


def find_existing_payment(
    candidates: list[dict], payment: Payment, invoice_id: str, taken=frozenset()
) -> dict | None:
    """Pick the QBO payment applied to the invoice that already stands for this row, if any.

    Ours comes first: it carries this row's marker (our create went through but its answer was
    lost; an edit of its amount or date in QuickBooks does not make it someone else's).
    Otherwise a payment entered in QuickBooks itself (no Ledgerbridge marker) for the same
    amount, which no other row of ours is linked to, the same date preferred: creating ours
    next to it would book the money twice.

    Args:
        candidates: QBO payments (those applied to the invoice; others are ignored).
        payment: our row.
        invoice_id: the QBO Id of the row's invoice.
        taken: QBO Ids of payments other rows of ours are linked to.
    """
    linked = [obj for obj in candidates if _links_invoice(obj, invoice_id)]
    for obj in linked:
        if marker(payment) in (obj.get("PrivateNote") or ""):
            return obj
    entered = [
        obj
        for obj in linked
        if MARKER_PREFIX not in (obj.get("PrivateNote") or "")
        and str(obj.get("Id")) not in taken
        and Decimal(str(obj.get("TotalAmt", 0))).quantize(Decimal("0.01")) == payment.amount
    ]
    entered.sort(key=lambda obj: str(obj.get("TxnDate")) != payment.received_on.isoformat())
    return entered[0] if entered else None


def find_by_marker(candidates: list[dict], record) -> dict | None:
    for obj in candidates:
        if marker(record) in (obj.get("PrivateNote") or ""):
            return obj
    return None


DEPOSITABLE_TYPES = ("Bank", "Other Current Asset")


def is_depositable(account: dict) -> bool:
    return (
        account.get("Active", True) is not False and account.get("AccountType") in DEPOSITABLE_TYPES
    )
