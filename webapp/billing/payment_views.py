"""Payments tab: the list (a synced list), "Record payment" and "Refund payment"."""

from decimal import Decimal

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased, contains_eager, selectinload

from ..extensions import db
from ..htmx import is_fragment_request, toast, trigger_client_event
from ..i18n import amount, translated
from ..i18n import lazy_gettext as _l
from ..models import ClientAccount, Invoice, Payment, PaymentMethod, SyncStatus
from ..quickbooks.sync import sync_after_create
from ..scoping import firm_select, get_or_404, posted_row, row_id
from ..synced_lists import ChoiceFilter, Column, SyncedList, oob_row
from . import bp
from .forms import PaymentForm, RefundForm
from .invoice_views import invoice_select, render_invoice_row
from .operations import AmountTooLarge, record_payment, refund_payment
from .payment_choices import offer_clients, offer_invoices, search_text
from .qbo_warning import link_to, open_in_quickbooks, warning_for

ORIGINS = ("payments", "invoices")


def payment_select():
    """The firm's payments with client and invoice in the same query, and their refunds in one more."""
    invoice = aliased(Invoice)
    return (
        firm_select(Payment)
        .join(Payment.client)
        .join(invoice, Payment.invoice)
        .options(
            contains_eager(Payment.client),
            contains_eager(Payment.invoice.of_type(invoice)),
            selectinload(Payment.refunds),
        )
    )


PAYMENTS = SyncedList(
    name="payments",
    singular="payment",
    model=Payment,
    endpoint="billing.payments",
    select=payment_select,
    sort=(Payment.received_on, Payment.id),
    descending=True,
    client_id=Payment.client_id,
    filters=(
        ChoiceFilter.of_enum(
            "qbo", _l("QuickBooks"), _l("Any status"), Payment.qbo_status, SyncStatus
        ),
        ChoiceFilter.of_enum(
            "method", _l("Method"), _l("Any method"), Payment.method, PaymentMethod
        ),
    ),
    columns=(
        Column(_l("Date")),
        Column(_l("Client")),
        Column(_l("Invoice")),
        Column(_l("Amount"), "num"),
        Column(_l("Method")),
        Column(_l("Description")),
        Column(_l("QuickBooks"), "qbo-cell"),
    ),
    row_template="billing/_payment_row.html",
    title=_l("Payments"),
    no_match_text=_l("No payments match these filters."),
    new_label=_l("Record payment"),
    new_endpoint="billing.new_payment",
    empty_text=_l("No payments yet. Record one with the button above."),
    tabs_template="billing/_tabs.html",
    history_title=lambda payment: _(
        "Payment of %(amount)s · %(client)s",
        amount=amount(payment.amount),
        client=payment.client.display_name,
    ),
    history_template="billing/_payment_refunds.html",
)
PAYMENTS.register(bp)
render_payment_row = PAYMENTS.render_row


# Record payment -------------------------------------------------------------------------------


def _payment_form(client_id=None, invoice_id=None, with_clients=True, **kwargs) -> PaymentForm:
    """A PaymentForm whose selects offer the firm's clients and the chosen client's open invoices
    (at most CHOICES_SHOWN each, narrowed by the search fields when there are more)."""
    form = PaymentForm(**kwargs)
    if client_id is not None:
        form.client_id.data = client_id
    if invoice_id is not None:
        form.invoice_id.data = invoice_id
    firm_id = current_user.firm_id
    if with_clients:
        offer_clients(form, firm_id, search_text(request.values.get("client_q")))
    client_id = row_id(form.client_id.data)
    offer_invoices(form, firm_id, client_id, search_text(request.values.get("invoice_q")))
    return form


def _default_amount(form) -> None:
    """Amount defaults to the chosen invoice's open balance (or the only open invoice's)."""
    chosen = [i for i in form.open_invoices if i.id == form.invoice_id.data]
    if not chosen and len(form.open_invoices) == 1 and not form.invoice_search:
        chosen = form.open_invoices
        form.invoice_id.data = chosen[0].id
    if chosen:
        form.amount.data = f"{chosen[0].balance:.2f}"
        # QuickBooks shows less still open (its copy here says so): offer that, and say why.
        open_there = open_in_quickbooks(db.session.get(Invoice, chosen[0].id))
        if open_there is not None:
            form.amount.data = f"{open_there:.2f}"
            form.amount_hint = _(
                "QuickBooks shows %(there)s open on this invoice; Ledgerbridge shows %(here)s.",
                there=amount(open_there),
                here=amount(chosen[0].balance),
            )


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
        client_id,
        invoice_id,
        sync_to_qbo=firm.sync_manual_payments,
        origin=origin,
    )
    _default_amount(form)
    return _payment_form_response(form)


@bp.get("/clients/options")
def client_options():
    """Return the Client select (Record payment, New invoice) holding the clients whose name
    contains what was typed, and the chosen one."""
    form = PaymentForm(meta={"csrf": False})
    form.client_id.data = _chosen_client()
    offer_clients(form, current_user.firm_id, search_text(request.args.get("client_q")))
    return render_template("billing/_client_select.html", form=form)


@bp.get("/payments/new/invoices")
def payment_invoice_options():
    """Return the invoice select for the chosen client (and the invoice search, when it has
    more open invoices than a select shows), with the amount for the chosen invoice."""
    client_id = _chosen_client()
    invoice_id = request.args.get("invoice_id", type=int)
    form = _payment_form(client_id, invoice_id, with_clients=False, meta={"csrf": False})
    form.invoice_id.data = (
        invoice_id if any(i.id == invoice_id for i in form.open_invoices) else None
    )
    _default_amount(form)
    return render_template("billing/_payment_invoice_field.html", form=form, oob_amount=True)


def _chosen_client() -> int | None:
    """The client id in the query string: one of the firm's (else 404), or None."""
    client_id = request.args.get("client_id", type=int)
    return None if client_id is None else get_or_404(ClientAccount, client_id).id


@bp.post("/payments")
def create_payment():
    """Record a payment; answer with its row (Payments tab) or its invoice's row (Invoices tab)."""
    client = posted_row(ClientAccount, "client_id")
    invoice = posted_row(Invoice, "invoice_id")
    form = _payment_form(client.id if client else None)
    valid = form.validate_on_submit()
    if invoice is not None and client is not None and invoice.client_id != client.id:
        form.invoice_id.errors.append(_("That invoice belongs to another client."))
        valid = False
    if invoice is not None and invoice.balance <= 0:
        form.invoice_id.errors.append(_("That invoice is already paid in full."))
        valid = False
    if valid and Decimal(form.amount.data) > invoice.balance:
        form.amount.errors.append(
            _(
                "The open balance is %(balance)s; enter at most that.",
                balance=amount(invoice.balance),
            )
        )
        valid = False
    if not valid:
        return _payment_form_response(form, 422)
    user = current_user._get_current_object()
    choice = form.qbo_choice.data or ""
    warning = warning_for(invoice)
    if warning is not None and not choice:
        # Ask before a second payment for the same money exists (here or in QuickBooks).
        form.qbo_warning = warning
        return _payment_form_response(form, 422)
    if choice == "link" and warning is not None and warning.payment is not None:
        return _linked_response(form, warning.payment, user)
    try:
        payment = record_payment(
            invoice,
            amount=Decimal(form.amount.data),
            received_on=form.received_on.data,
            method=PaymentMethod(form.method.data),
            reference=form.reference.data,
            description=form.description.data,
            sync_requested=form.sync_to_qbo.data and choice != "unsynced",
            user=user,
        )
    except AmountTooLarge as error:
        # Another payment landed between our check and the row lock.
        db.session.rollback()
        form.amount.errors.append(
            _(
                "The open balance is now %(balance)s; enter at most that.",
                balance=amount(error.limit),
            )
        )
        return _payment_form_response(form, 422)
    # Creation rules: box cleared -> Skipped "Sync turned off for this payment".
    sync_after_create(payment, user)
    db.session.commit()
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
    return PAYMENTS.created_response(payment, message, level)


def _linked_response(form, received: Payment, user):
    """ "Link to that payment instead": the hand-entered details go on the QuickBooks payment."""
    link_to(
        received, user, PaymentMethod(form.method.data), form.reference.data, form.description.data
    )
    db.session.commit()
    message = _(
        "Linked to the payment of %(amount)s QuickBooks already has for invoice %(number)s; "
        "no second payment was recorded.",
        amount=amount(received.amount),
        number=received.invoice.number,
    )
    if not is_fragment_request():
        flash(message)
        return redirect(url_for("billing.payments"))
    if form.origin.data == "invoices":
        invoice = db.session.execute(
            invoice_select().where(Invoice.id == received.invoice_id)
        ).scalar_one()
        row = render_invoice_row(invoice, oob=True)
    else:
        row = render_payment_row(received, oob=True)
    response = make_response(oob_row(row))
    response.headers["HX-Reswap"] = "none"
    trigger_client_event(response, "close-dialog")
    return toast(response, message, "success")


def _recorded_message(payment) -> str:
    text = _(
        "Payment of %(amount)s recorded for invoice %(number)s.",
        amount=amount(payment.amount),
        number=payment.invoice.number,
    )
    if payment.qbo_status in (SyncStatus.SKIPPED, SyncStatus.FAILED):
        reason = translated(payment.qbo_message)
        return text + " " + _("Not sent to QuickBooks: %(reason)s.", reason=reason)
    if payment.qbo_status is SyncStatus.SYNCING:
        return text + " " + _("Sending it to QuickBooks.")
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
            _(
                "Only %(amount)s is left to refund on this payment.",
                amount=amount(payment.refundable_amount),
            )
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
        form.amount.errors.append(
            _("Only %(amount)s is left to refund on this payment.", amount=amount(error.limit))
        )
        return _refund_form_response(form, payment, 422)
    sync_after_create(refund, user)
    db.session.commit()
    message = _(
        "Refunded %(amount)s of the payment for invoice %(number)s.",
        amount=amount(refund.amount),
        number=payment.invoice.number,
    )
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
