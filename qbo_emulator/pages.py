"""HTML pages under /_emulator/: the company as a QuickBooks user would see it, and what that user does.

Lists: customers, vendors, invoices, payments, refund receipts, accounts. Detail pages with the user's
actions: an invoice (Receive payment), a payment (edit amount/date, void, delete), a customer (rename,
make inactive or active, merge into another); vendors are added and renamed on their list. Every action is a write like an API write (user_actions.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template_string, request, url_for

from . import faults, user_actions
from .entities import Books
from .seed import create_company as seed_company
from .templates import ACCOUNTS, CUSTOMERS, INDEX, INVOICES, LAYOUT, PAYMENTS, REFUNDS, VENDORS
from .templates_detail import CUSTOMER_DETAIL, INVOICE_DETAIL, PAYMENT_DETAIL

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


def act(realm: str, action, back: str, **back_args):
    """Run a change like an API write (one transaction, webhooks fired); show a fault as a message.

    Returns to the page `back` (with `back_args`), or to the (endpoint, args) `action` returns.
    """
    books = books_for(realm)
    try:
        with books.store.tx():
            moved = action(books)
    except faults.QBOFault as fault:
        error = f"{fault.code} {fault.message}: {fault.detail}"
        return redirect(url_for(back, realm=realm, error=error, **back_args))
    except faults.MALFORMED_BODY_ERRORS:
        return redirect(url_for(back, realm=realm, error="That value is not valid.", **back_args))
    if isinstance(moved, tuple):
        back, back_args = moved
    return redirect(url_for(back, realm=realm, **back_args))


def from_detail_page() -> bool:
    """Forms on a detail page send back=detail so the user lands on that page again."""
    return request.form.get("back") == "detail"


def deposit_accounts(books: Books) -> list[dict]:
    accounts = [
        a
        for a in books.find("Account", "Active", True)
        if a.get("AccountType") in ("Bank", "Other Current Asset")
    ]
    accounts.sort(key=lambda a: a.get("AccountSubType") != "UndepositedFunds")
    return accounts


def rendered(books: Books, entity: str, entity_id: str) -> dict:
    obj = books.get(entity, entity_id)
    if obj is None:
        abort(404)
    return books.render(entity, [obj])[0]


@bp.get("/")
def index():
    """Return the list of companies."""
    return page("QBO emulator companies", INDEX, companies=emu().store.companies())


@bp.post("/companies")
def create_company():
    """Create a company and show its invoices."""
    realm = seed_company(emu().store, request.form.get("name", ""))
    return redirect(url_for("qbo_pages.invoices", realm=realm))


# Customers ----------------------------------------------------------------------


@bp.get("/<realm>/")
@bp.get("/<realm>/customers")
def customers(realm):
    """Return the company's customers page."""
    books = books_for(realm)
    rows = books.render("Customer", books.all("Customer"))
    return page(f"Customers of {company_name(realm)}", CUSTOMERS, realm, rows=rows)


@bp.get("/<realm>/customers/<customer_id>")
def customer_detail(realm, customer_id):
    """One customer: rename, make inactive or active, merge into another customer."""
    books = books_for(realm)
    customer = rendered(books, "Customer", customer_id)
    others = [c for c in books.all("Customer") if str(c["Id"]) != str(customer_id)]
    return page(customer["DisplayName"], CUSTOMER_DETAIL, realm, c=customer, others=others)


@bp.post("/<realm>/customers/<customer_id>/<action>")
def customer_action(realm, customer_id, action):
    """Rename (display_name), make inactive / active (active=0|1), or merge (into=<id>)."""
    form = request.form
    if action not in ("rename", "active", "merge"):
        abort(404)

    def run(books):
        if action == "rename":
            user_actions.rename_customer(books, customer_id, form.get("display_name"))
        elif action == "active":
            user_actions.set_customer_active(books, customer_id, form.get("active") == "1")
        else:
            survivor = user_actions.merge_customer(books, customer_id, form.get("into", ""))
            return "qbo_pages.customer_detail", {"customer_id": survivor["Id"]}
        return None

    return act(realm, run, "qbo_pages.customer_detail", customer_id=customer_id)


# Vendors ------------------------------------------------------------------------


@bp.get("/<realm>/vendors")
def vendors(realm):
    """Return the company's vendors, each with a Rename form, and an Add vendor form."""
    books = books_for(realm)
    rows = books.render("Vendor", books.all("Vendor"))
    return page(f"Vendors of {company_name(realm)}", VENDORS, realm, rows=rows)


@bp.post("/<realm>/vendors")
def vendor_create(realm):
    """Add a vendor (display_name), as the QuickBooks user entering a supplier."""

    def run(books):
        books.create("Vendor", {"DisplayName": (request.form.get("display_name") or "").strip()})

    return act(realm, run, "qbo_pages.vendors")


@bp.post("/<realm>/vendors/<vendor_id>/rename")
def vendor_rename(realm, vendor_id):
    """Rename a vendor (display_name): frees its old name for a customer."""

    def run(books):
        user_actions.rename_vendor(books, vendor_id, request.form.get("display_name"))

    return act(realm, run, "qbo_pages.vendors")


# Invoices -----------------------------------------------------------------------


@bp.get("/<realm>/invoices")
def invoices(realm):
    """Return the invoices page with balances, linked payments and a Receive payment form."""
    books = books_for(realm)
    rows = books.render("Invoice", books.all("Invoice"))
    return page(
        f"Invoices of {company_name(realm)}",
        INVOICES,
        realm,
        rows=rows,
        deposit_accounts=deposit_accounts(books),
    )


@bp.get("/<realm>/invoices/<invoice_id>")
def invoice_detail(realm, invoice_id):
    """One invoice: lines, balance, the payments applied to it and a Receive payment form."""
    books = books_for(realm)
    invoice = rendered(books, "Invoice", invoice_id)
    payment_ids = [link["TxnId"] for link in invoice.get("LinkedTxn", [])]
    payments = books.render("Payment", books.store.get_many(realm, "Payment", payment_ids))
    return page(
        f"Invoice {invoice['DocNumber']}",
        INVOICE_DETAIL,
        realm,
        inv=invoice,
        payments=payments,
        deposit_accounts=deposit_accounts(books),
    )


@bp.post("/<realm>/invoices/<invoice_id>/receive-payment")
def receive_payment(realm, invoice_id):
    """Record a payment linked to the invoice, as a customer paying through QuickBooks would."""
    if from_detail_page():
        back, args = "qbo_pages.invoice_detail", {"invoice_id": invoice_id}
    else:
        back, args = "qbo_pages.invoices", {}

    def run(books):
        user_actions.receive_payment(books, invoice_id, request.form)

    return act(realm, run, back, **args)


# Payments -----------------------------------------------------------------------


@bp.get("/<realm>/payments")
def payments(realm):
    """Return the payments page with deposit accounts and linked invoices."""
    books = books_for(realm)
    rows = books.render("Payment", books.all("Payment"))
    return page(f"Payments of {company_name(realm)}", PAYMENTS, realm, rows=rows)


@bp.get("/<realm>/payments/<payment_id>")
def payment_detail(realm, payment_id):
    """One payment with what a QuickBooks user can do to it: edit amount and date, void, delete."""
    payment = rendered(books_for(realm), "Payment", payment_id)
    return page(f"Payment {payment_id}", PAYMENT_DETAIL, realm, p=payment)


@bp.post("/<realm>/payments/<payment_id>/edit")
def payment_edit(realm, payment_id):
    """Change a payment's amount (amount) and date (txn_date, YYYY-MM-DD)."""

    def run(books):
        user_actions.edit_payment(books, payment_id, request.form)

    return act(realm, run, "qbo_pages.payment_detail", payment_id=payment_id)


@bp.post("/<realm>/payments/<payment_id>/<action>")
def payment_action(realm, payment_id, action):
    """Void or delete a payment."""
    if action not in ("void", "delete"):
        abort(404)
    detail = from_detail_page()

    def run(books):
        user_actions.void_or_delete_payment(books, payment_id, action)
        if detail and action == "void":
            return "qbo_pages.payment_detail", {"payment_id": payment_id}
        return "qbo_pages.payments", {}

    if detail:
        return act(realm, run, "qbo_pages.payment_detail", payment_id=payment_id)
    return act(realm, run, "qbo_pages.payments")


# Refunds and accounts -------------------------------------------------------------


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
