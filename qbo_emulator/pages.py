"""HTML pages under /_emulator/: the company as a QuickBooks user would see it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template_string, request, url_for

from . import faults
from .entities import Books
from .seed import create_company as seed_company
from .templates import ACCOUNTS, CUSTOMERS, INDEX, INVOICES, LAYOUT, PAYMENTS, REFUNDS

bp = Blueprint("qbo_pages", __name__, url_prefix="/_emulator")


def emu():
    return current_app.extensions["qbo_emulator"]


def books_for(realm: str) -> Books:
    state = emu()
    if state.store.company(realm) is None:
        abort(404)
    return Books(state.store, realm, state.clock, state.emit)


def page(title: str, body_template: str, realm: str | None = None, status: int = 200, **context):
    error = request.args.get("error")
    body = render_template_string(body_template, realm=realm, **context)
    return render_template_string(LAYOUT, title=title, body=body, realm=realm, error=error), status


def company_name(realm: str) -> str:
    return emu().store.company(realm)["name"]


def act(realm: str, action, back: str):
    """Run a change like an API write (one transaction, webhooks fired); show a fault as a message."""
    books = books_for(realm)
    try:
        with books.store.tx():
            action(books)
    except faults.QBOFault as fault:
        return redirect(
            url_for(back, realm=realm, error=f"{fault.code} {fault.message}: {fault.detail}")
        )
    return redirect(url_for(back, realm=realm))


@bp.get("/")
def index():
    """Return the list of companies."""
    return page("QBO emulator companies", INDEX, companies=emu().store.companies())


@bp.post("/companies")
def create_company():
    """Create a company and show its invoices."""
    realm = seed_company(emu().store, request.form.get("name", ""))
    return redirect(url_for("qbo_pages.invoices", realm=realm))


@bp.get("/<realm>/")
@bp.get("/<realm>/customers")
def customers(realm):
    """Return the company's customers page."""
    books = books_for(realm)
    rows = books.render("Customer", books.all("Customer"))
    return page(f"Customers of {company_name(realm)}", CUSTOMERS, realm, rows=rows)


@bp.get("/<realm>/invoices")
def invoices(realm):
    """Return the invoices page with balances, linked payments and a Receive payment form."""
    books = books_for(realm)
    rows = books.render("Invoice", books.all("Invoice"))
    deposit_accounts = [
        a
        for a in books.all("Account")
        if a.get("Active", True) and a.get("AccountType") in ("Bank", "Other Current Asset")
    ]
    deposit_accounts.sort(key=lambda a: a.get("AccountSubType") != "UndepositedFunds")
    return page(
        f"Invoices of {company_name(realm)}",
        INVOICES,
        realm,
        rows=rows,
        deposit_accounts=deposit_accounts,
    )


@bp.post("/<realm>/invoices/<invoice_id>/receive-payment")
def receive_payment(realm, invoice_id):
    """Record a payment linked to the invoice, as a customer paying through QuickBooks would."""

    def action(books):
        invoice = books.get("Invoice", invoice_id)
        if invoice is None:
            raise faults.not_found("Invoice", invoice_id)
        amount = request.form.get("amount") or invoice.get("Balance")
        payment = {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": amount,
            "Line": [
                {"Amount": amount, "LinkedTxn": [{"TxnId": str(invoice_id), "TxnType": "Invoice"}]}
            ],
        }
        if request.form.get("deposit_account"):
            payment["DepositToAccountRef"] = {"value": request.form["deposit_account"]}
        if request.form.get("ref"):
            payment["PaymentRefNum"] = request.form["ref"]
        books.create("Payment", payment)

    return act(realm, action, "qbo_pages.invoices")


@bp.get("/<realm>/payments")
def payments(realm):
    """Return the payments page with deposit accounts and linked invoices."""
    books = books_for(realm)
    rows = books.render("Payment", books.all("Payment"))
    return page(f"Payments of {company_name(realm)}", PAYMENTS, realm, rows=rows)


@bp.post("/<realm>/payments/<payment_id>/<action>")
def payment_action(realm, payment_id, action):
    """Void or delete a payment."""
    if action not in ("void", "delete"):
        abort(404)

    def run(books):
        payment = books.get("Payment", payment_id)
        if payment is None:
            raise faults.not_found("Payment", payment_id)
        body = {"Id": payment_id, "SyncToken": payment["SyncToken"], "sparse": True}
        if action == "void":
            books.void("Payment", body)
        else:
            books.delete("Payment", body)

    return act(realm, run, "qbo_pages.payments")


@bp.get("/<realm>/refunds")
def refunds(realm):
    """Return the refund receipts page."""
    books = books_for(realm)
    rows = books.render("RefundReceipt", books.all("RefundReceipt"))
    return page(f"Refund receipts of {company_name(realm)}", REFUNDS, realm, rows=rows)


@bp.post("/<realm>/refunds/<refund_id>/delete")
def refund_delete(realm, refund_id):
    """Delete a refund receipt."""

    def run(books):
        refund = books.get("RefundReceipt", refund_id)
        if refund is None:
            raise faults.not_found("RefundReceipt", refund_id)
        books.delete("RefundReceipt", {"Id": refund_id, "SyncToken": refund["SyncToken"]})

    return act(realm, run, "qbo_pages.refunds")


@bp.get("/<realm>/accounts")
def accounts(realm):
    """Return the chart of accounts with balances."""
    books = books_for(realm)
    rows = books.render("Account", books.all("Account"))
    return page(f"Chart of accounts of {company_name(realm)}", ACCOUNTS, realm, rows=rows)
