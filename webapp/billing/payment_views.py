"""Payments tab: the list, "Record payment", "Refund payment", and the row's sync actions."""

from decimal import Decimal

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import aliased, contains_eager
from wtforms.fields import SelectChoice

from ..extensions import db
from ..htmx import is_fragment_request, toast, trigger_client_event
from ..listing import (
    answer_poll,
    created_row_response,
    enum_arg,
    filter_args,
    oob_row,
    paginate,
    search_term,
    sync_action,
    sync_history,
)
from ..models import ClientAccount, Invoice, Payment, PaymentMethod, SyncStatus
from ..quickbooks.sync import sync_after_create
from ..scoping import firm_select, get_or_404, posted_row
from . import bp
from .forms import PaymentForm, RefundForm
from .invoice_views import invoice_select, render_invoice_row
from .operations import AmountTooLarge, record_payment, refund_payment

FILTERS = ("q", "qbo", "method")
ORIGINS = ("payments", "invoices")


def payment_select():
    """The firm's payments with client and invoice loaded in the same query."""
    invoice = aliased(Invoice)
    return (
        firm_select(Payment)
        .join(Payment.client)
        .join(invoice, Payment.invoice)
        .options(contains_eager(Payment.client), contains_eager(Payment.invoice.of_type(invoice)))
    )


def _filtered(query):
    if qbo := enum_arg("qbo", SyncStatus):
        query = query.where(Payment.qbo_status == qbo)
    if method := enum_arg("method", PaymentMethod):
        query = query.where(Payment.method == method)
    if q := search_term():
        query = query.where(ClientAccount.display_name.icontains(q, autoescape=True))
    return query


def render_payment_row(payment, oob=False, added=False) -> str:
    html = render_template("billing/_payment_row.html", payment=payment, oob=oob, added=added)
    return html.strip()  # the <tr> must come first in action responses (style.md conv. 13)


def _poller(active=True, oob=True) -> str:
    return render_template("billing/_payment_poller.html", active=active, oob=oob)


@bp.get("/payments")
def payments():
    """Return the Payments tab, or only its results when htmx asks for them."""
    query = _filtered(payment_select()).order_by(Payment.received_on.desc(), Payment.id.desc())
    count = _filtered(firm_select(Payment).join(Payment.client).with_only_columns(Payment.id))
    page = paginate(query, count)
    context = dict(
        page=page,
        args=filter_args(*FILTERS),
        q=search_term(),
        qbo=enum_arg("qbo", SyncStatus),
        method=enum_arg("method", PaymentMethod),
        methods=list(PaymentMethod),
        statuses=list(SyncStatus),
    )
    if is_fragment_request("payments-results"):
        return render_template("billing/_payment_results.html", **context) + _poller(
            page.any_pending
        )
    return render_template("billing/payments.html", **context)


@bp.get("/payments/<int:payment_id>/row")
def payment_row(payment_id):
    """Return one payment row."""
    payment = get_or_404(Payment, payment_id)
    if not is_fragment_request():
        return redirect(url_for("billing.payments"))
    return render_payment_row(payment)


@bp.get("/payments/poll")
def payments_poll():
    """Return out-of-band rows for watched payments whose QuickBooks status changed."""
    return answer_poll(
        lambda ids: db.session.execute(payment_select().where(Payment.id.in_(ids))).scalars(),
        lambda payment: render_payment_row(payment, oob=True),
        url_for("billing.payments"),
    )


@bp.post("/payments/<int:payment_id>/sync")
def payment_sync(payment_id):
    """Start syncing the payment; return its row and the re-armed poller."""
    payment = get_or_404(Payment, payment_id)
    return sync_action(payment, "sync", render_payment_row, _poller, url_for("billing.payments"))


@bp.post("/payments/<int:payment_id>/unsync")
def payment_unsync(payment_id):
    """Start unsyncing the payment (and its refunds); return its row and the re-armed poller."""
    payment = get_or_404(Payment, payment_id)
    return sync_action(payment, "unsync", render_payment_row, _poller, url_for("billing.payments"))


@bp.get("/payments/<int:payment_id>/history")
def payment_history(payment_id):
    """Return the payment's sync history dialog, with its refunds' states."""
    payment = get_or_404(Payment, payment_id)
    title = f"Payment of {payment.amount:,.2f} · {payment.client.display_name}"
    return sync_history(payment, title, "billing/_payment_refunds.html", payment=payment)


# Record payment -------------------------------------------------------------------------------


def _payment_form(client_id=None, invoice_id=None, **kwargs) -> PaymentForm:
    """A PaymentForm whose selects offer the firm's clients and the chosen client's open invoices."""
    form = PaymentForm(**kwargs)
    clients = db.session.execute(
        firm_select(ClientAccount)
        .where(ClientAccount.active.is_(True))
        .order_by(ClientAccount.display_name)
    ).scalars()
    form.client_id.choices = [SelectChoice("", "Choose a client")] + [
        SelectChoice(c.id, c.display_name) for c in clients
    ]
    client_id = form.client_id.data if client_id is None else client_id
    form.open_invoices = _open_invoices(client_id)
    form.invoice_id.choices = [
        SelectChoice("", _invoice_placeholder(client_id, form.open_invoices))
    ] + [
        SelectChoice(i.id, f"{i.number} · {i.issue_date:%b %d, %Y} · {i.balance:,.2f} open")
        for i in form.open_invoices
    ]
    if invoice_id is not None:
        form.invoice_id.data = invoice_id
    return form


def _invoice_placeholder(client_id, open_invoices) -> str:
    if not client_id:
        return "Choose a client first"
    return "Choose an invoice" if open_invoices else "This client has no open invoices"


def _open_invoices(client_id) -> list[Invoice]:
    if not client_id:
        return []
    return list(
        db.session.execute(
            firm_select(Invoice)
            .where(Invoice.client_id == client_id, Invoice.balance > 0)
            .order_by(Invoice.due_date, Invoice.id)
        ).scalars()
    )


def _default_amount(form) -> None:
    """Amount defaults to the chosen invoice's open balance (or the only open invoice's)."""
    chosen = [i for i in form.open_invoices if i.id == form.invoice_id.data]
    if not chosen and len(form.open_invoices) == 1:
        chosen = form.open_invoices
        form.invoice_id.data = chosen[0].id
    if chosen:
        form.amount.data = f"{chosen[0].balance:.2f}"


@bp.get("/payments/new")
def new_payment():
    """Return the Record payment form; from an invoice row it comes with that invoice chosen."""
    firm = current_user.firm
    origin = request.args.get("origin") if request.args.get("origin") in ORIGINS else "payments"
    client_id = invoice_id = None
    if (raw := request.args.get("invoice_id", type=int)) is not None:
        invoice = get_or_404(Invoice, raw)
        client_id, invoice_id = invoice.client_id, invoice.id
    elif (raw := request.args.get("client_id", type=int)) is not None:
        client_id = get_or_404(ClientAccount, raw).id
    form = _payment_form(
        client_id, invoice_id, sync_to_qbo=firm.sync_manual_payments, origin=origin
    )
    form.client_id.data = client_id
    _default_amount(form)
    return _payment_form_response(form)


@bp.get("/payments/new/invoices")
def payment_invoice_options():
    """Return the invoice select for the chosen client, and the amount for the chosen invoice."""
    client_id = request.args.get("client_id", type=int)
    if client_id is not None:
        client_id = get_or_404(ClientAccount, client_id).id
    invoice_id = request.args.get("invoice_id", type=int)
    form = _payment_form(client_id, None, meta={"csrf": False})
    form.client_id.data = client_id
    form.invoice_id.data = (
        invoice_id if any(i.id == invoice_id for i in form.open_invoices) else None
    )
    _default_amount(form)
    return render_template("billing/_payment_invoice_field.html", form=form, oob_amount=True)


@bp.post("/payments")
def create_payment():
    """Record a payment; answer with its row (Payments tab) or its invoice's row (Invoices tab)."""
    client = posted_row(ClientAccount, "client_id")
    invoice = posted_row(Invoice, "invoice_id")
    form = _payment_form(client.id if client else None)
    valid = form.validate_on_submit()
    if invoice is not None and client is not None and invoice.client_id != client.id:
        form.invoice_id.errors.append("That invoice belongs to another client.")
        valid = False
    if invoice is not None and invoice.balance <= 0:
        form.invoice_id.errors.append("That invoice is already paid in full.")
        valid = False
    if valid and Decimal(form.amount.data) > invoice.balance:
        form.amount.errors.append(
            f"The open balance is {invoice.balance:,.2f}; enter at most that."
        )
        valid = False
    if not valid:
        return _payment_form_response(form, 422)
    user = current_user._get_current_object()
    try:
        payment = record_payment(
            invoice,
            amount=Decimal(form.amount.data),
            received_on=form.received_on.data,
            method=PaymentMethod(form.method.data),
            reference=form.reference.data,
            description=form.description.data,
            sync_requested=form.sync_to_qbo.data,
            user=user,
        )
    except AmountTooLarge as error:
        # Another payment landed between our check and the row lock.
        db.session.rollback()
        form.amount.errors.append(
            f"The open balance is now {error.limit:,.2f}; enter at most that."
        )
        return _payment_form_response(form, 422)
    # Creation rules: box cleared -> Skipped "Sync turned off for this payment"; it commits.
    sync_after_create(payment, user)
    message = _recorded_message(payment)
    # Recorded, but the QuickBooks part the user asked for did not happen: not a plain success.
    level = "warning" if payment.qbo_status is SyncStatus.FAILED else "success"
    if not is_fragment_request():
        flash(message)
        return redirect(
            url_for("billing.invoices" if form.origin.data == "invoices" else "billing.payments")
        )
    if form.origin.data == "invoices":
        # The Invoices tab has no payments table: update the invoice's row in place instead.
        invoice = db.session.execute(invoice_select().where(Invoice.id == invoice.id)).scalar_one()
        response = make_response(oob_row(render_invoice_row(invoice, oob=True)))
        response.headers["HX-Reswap"] = "none"
        trigger_client_event(response, "close-dialog")
        return toast(response, message, level)
    return created_row_response(
        render_payment_row(payment, added=True), "payments-body", message, _poller(), level
    )


def _recorded_message(payment) -> str:
    text = f"Payment of {payment.amount:,.2f} recorded for invoice {payment.invoice.number}."
    if payment.qbo_status in (SyncStatus.SKIPPED, SyncStatus.FAILED):
        return f"{text} Not sent to QuickBooks: {payment.qbo_message}."
    if payment.qbo_status is SyncStatus.SYNCING:
        return f"{text} Sending it to QuickBooks."
    return text


def _payment_form_response(form, status=200):
    template = "billing/_payment_form.html" if is_fragment_request() else "billing/payment_new.html"
    return make_response(render_template(template, form=form), status)


# Refund payment -------------------------------------------------------------------------------


@bp.get("/payments/<int:payment_id>/refund")
def new_refund(payment_id):
    """Return the Refund payment form, its amount preset to what is left to refund."""
    payment = get_or_404(Payment, payment_id)
    form = RefundForm(amount=f"{payment.refundable_amount:.2f}")
    return _refund_form_response(form, payment)


@bp.post("/payments/<int:payment_id>/refund")
def create_refund(payment_id):
    """Refund (part of) a payment; answer with the payment's row, updated in place."""
    payment = get_or_404(Payment, payment_id)
    form = RefundForm()
    valid = form.validate_on_submit()
    if valid and Decimal(form.amount.data) > payment.refundable_amount:
        form.amount.errors.append(
            f"Only {payment.refundable_amount:,.2f} is left to refund on this payment."
        )
        valid = False
    if not valid:
        return _refund_form_response(form, payment, 422)
    user = current_user._get_current_object()
    try:
        refund = refund_payment(
            payment,
            amount=Decimal(form.amount.data),
            refunded_on=form.refunded_on.data,
            reason=form.reason.data,
            user=user,
        )
    except AmountTooLarge as error:
        db.session.rollback()
        form.amount.errors.append(f"Only {error.limit:,.2f} is left to refund on this payment.")
        return _refund_form_response(form, payment, 422)
    sync_after_create(refund, user)
    message = f"Refunded {refund.amount:,.2f}; invoice {payment.invoice.number} is open again."
    if not is_fragment_request():
        flash(message)
        return redirect(url_for("billing.payments"))
    response = make_response(render_payment_row(payment))
    response.headers["HX-Retarget"] = f"#payment-{payment.id}"
    response.headers["HX-Reswap"] = "outerHTML"
    trigger_client_event(response, "close-dialog")
    return toast(response, message, "success")


def _refund_form_response(form, payment, status=200):
    template = "billing/_refund_form.html" if is_fragment_request() else "billing/refund_new.html"
    return make_response(render_template(template, form=form, payment=payment), status)
