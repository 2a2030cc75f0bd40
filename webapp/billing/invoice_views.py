"""Invoices tab: the list (a synced list), "New invoice" and its form's helpers."""

from decimal import Decimal

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..htmx import is_fragment_request
from ..i18n import lazy_gettext as _l
from ..models import ClientAccount, Invoice, InvoiceStatus, SyncStatus
from ..number_input import parse_number
from ..quickbooks.state import SyncAction
from ..quickbooks.sync import sync_after_create
from ..scoping import firm_select, get_or_404, posted_row
from ..synced_lists import ChoiceFilter, Column, SyncedList
from . import bp
from .forms import LINE_KEY, MAX_LINES, InvoiceForm, LineForm
from .operations import (
    create_invoice,
    invoice_number_taken,
    line_amount,
    next_invoice_number,
)
from .payment_choices import offer_clients, search_text

MAX_TOTAL = Decimal("10000000000")  # Money is NUMERIC(12, 2)


def invoice_select():
    """The firm's invoices with their client loaded in the same query (the row shows both)."""
    return firm_select(Invoice).join(Invoice.client).options(contains_eager(Invoice.client))


INVOICES = SyncedList(
    name="invoices",
    singular="invoice",
    model=Invoice,
    endpoint="billing.invoices",
    select=invoice_select,
    sort=(Invoice.issue_date, Invoice.id),
    descending=True,
    client_id=Invoice.client_id,
    filters=(
        ChoiceFilter.of_enum(
            "status", _l("Status"), _l("Any status"), Invoice.status, InvoiceStatus
        ),
        ChoiceFilter.of_enum(
            "qbo", _l("QuickBooks"), _l("Any status"), Invoice.qbo_status, SyncStatus
        ),
    ),
    columns=(
        Column(_l("Number")),
        Column(_l("Client")),
        Column(_l("Date")),
        Column(_l("Due date")),
        Column(_l("Total"), "num"),
        Column(_l("Balance"), "num"),
        Column(_l("Status")),
        Column(_l("QuickBooks"), "qbo-cell"),
    ),
    row_template="billing/_invoice_row.html",
    title=_l("Invoices"),
    no_match_text=_l("No invoices match these filters."),
    new_label=_l("New invoice"),
    new_endpoint="billing.new_invoice",
    empty_text=_l("No invoices yet. Create one with “New invoice” above."),
    tabs_template="billing/_tabs.html",
    actions=(SyncAction.SYNC,),  # an invoice is not unsynced on its own
    history_title=lambda invoice: _(
        "Invoice %(number)s · %(client)s", number=invoice.number, client=invoice.client.display_name
    ),
)
INVOICES.register(bp)
render_invoice_row = INVOICES.render_row


def _invoice_form(client_id: int | None = None, **kwargs) -> InvoiceForm:
    """An InvoiceForm whose Client select offers the firm's clients (payment_choices.py)."""
    form = InvoiceForm(**kwargs)
    if client_id is not None:
        form.client_id.data = client_id
    offer_clients(form, current_user.firm_id, search_text(request.values.get("client_q")))
    return form


@bp.get("/invoices/new")
def new_invoice():
    """Return the New invoice form with the next number filled in."""
    client_id = request.args.get("client_id", type=int)
    if client_id is not None:
        client_id = get_or_404(ClientAccount, client_id).id
    form = _invoice_form(client_id, number=next_invoice_number(current_user.firm_id))
    return _form_response(form)


@bp.get("/invoices/new/line")
def invoice_line():
    """Return one more empty line row for the New invoice form."""
    used = [int(m.group(1)) for key in request.args if (m := LINE_KEY.match(key))]
    index = max(used, default=-1) + 1
    if len(set(used)) >= MAX_LINES or index > 999_999:
        return "", 204
    line = LineForm(prefix=f"lines-{index}-")
    return render_template("billing/_invoice_line.html", line=line, index=index)


@bp.get("/invoices/new/total")
def invoice_total():
    """Return the form's running total, computed here with Decimal (unparsable lines count 0);
    the numbers are read as typed in the user's locale, like the form's own fields read them."""
    return render_template("billing/_invoice_total.html", total=_preview_total(request.args))


def _preview_total(values) -> Decimal:
    total = Decimal("0.00")
    indices = {m.group(1) for key in values if (m := LINE_KEY.match(key))}
    for i in indices:
        quantity = parse_number(values.get(f"lines-{i}-quantity", "").strip())
        price = parse_number(values.get(f"lines-{i}-unit_price", "").strip())
        if quantity is None or price is None:
            continue
        # Check the sizes before multiplying: 99…9 (5,000 digits) squared is no amount to compute.
        if quantity.adjusted() < 10 and price.adjusted() < 10 and abs(quantity * price) < 10**10:
            total += line_amount(quantity, price)
    return total


@bp.post("/invoices")
def create_invoice_view():
    """Create an invoice; answer with its row for the top of the table, or the form with errors."""
    form = _invoice_form()
    if request.form.get("add_line"):
        # Without JS, "Add line" submits the form: show it again with one more line, save nothing.
        if len(form.lines.entries) < MAX_LINES:
            form.lines.append_entry()
        return _form_response(form)
    client = posted_row(ClientAccount, "client_id")
    if not form.validate_on_submit():
        return _form_response(form, 422)
    if invoice_number_taken(current_user.firm_id, form.number.data):
        form.number.errors.append(
            _(
                "That number is taken; the next free one is %(number)s.",
                number=next_invoice_number(current_user.firm_id),
            )
        )
        return _form_response(form, 422)
    lines = [
        (line.description.data, Decimal(line.quantity.data), Decimal(line.unit_price.data))
        for line in (entry.form for entry in form.lines)
    ]
    if sum(line_amount(quantity, price) for _, quantity, price in lines) >= MAX_TOTAL:
        form.lines.errors.append(_("That total is too large."))
        return _form_response(form, 422)
    try:
        invoice = create_invoice(
            client,
            number=form.number.data,
            issue_date=form.issue_date.data,
            due_date=form.due_date.data,
            lines=lines,
        )
        # Invoices of synced clients go to QuickBooks at once (the job is sent after the commit).
        sync_after_create(invoice, current_user._get_current_object())
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        form.lines.errors.append(_(str(error)))  # our message, marked N_ in operations.py
        return _form_response(form, 422)
    except IntegrityError:
        # Another invoice took the number between our check and the insert.
        db.session.rollback()
        form.number.errors.append(_("That number was just taken; try again."))
        form.number.data = next_invoice_number(current_user.firm_id)
        return _form_response(form, 422)
    message = _("Invoice %(number)s created.", number=invoice.number)
    if not is_fragment_request():
        flash(message)
        return redirect(url_for("billing.invoices"))
    return INVOICES.created_response(invoice, message)


def _form_response(form, status=200):
    template = "billing/_invoice_form.html" if is_fragment_request() else "billing/invoice_new.html"
    total = _preview_total(request.form)
    return make_response(render_template(template, form=form, total=total), status)
