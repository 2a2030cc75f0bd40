"""What Record payment offers to choose from, bounded at a firm's real size.

A firm of 25,000 clients, or a client with 2,000 open invoices, cannot be one <select>: the
dialog took seconds to build and nobody scrolls that far. Each select holds at most
CHOICES_SHOWN options (clients by name; invoices oldest due first, the ones a payment most
likely settles), read as plain columns, not rows. When there are more, a search field above the
select narrows what it holds (the client's name; the invoice's number). The chosen one is always
among the options, so a form sent back with an error keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from wtforms.fields import SelectChoice

from ..extensions import db
from ..i18n import amount, day
from ..models import ClientAccount, Invoice
from ..scoping import row_id

CHOICES_SHOWN = 100
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class OpenInvoice:
    """What an invoice option shows: the invoice's number, date and open balance."""

    id: int
    number: str
    issue_date: date
    balance: Decimal


def search_text(raw: str | None) -> str:
    """What was typed in a search field, trimmed and bounded; control characters dropped."""
    text = "".join(ch for ch in (raw or "") if ch.isprintable())
    return text.strip()[:SEARCH_MAX_LENGTH]


def offer_clients(form, firm_id: int, query: str = "") -> None:
    """Fill the Client select: the firm's active clients by name (those matching `query`).

    Sets `form.client_search` (whether to show the search field) and `form.client_query`.
    """
    rows = (
        select(ClientAccount.id, ClientAccount.display_name)
        .where(ClientAccount.firm_id == firm_id, ClientAccount.active.is_(True))
        .order_by(func.lower(ClientAccount.display_name), ClientAccount.id)
    )
    if query:
        rows = rows.where(ClientAccount.display_name.icontains(query, autoescape=True))
    found = db.session.execute(rows.limit(CHOICES_SHOWN + 1)).all()
    form.client_search = bool(query) or len(found) > CHOICES_SHOWN
    form.client_query = query
    form.choices_shown = CHOICES_SHOWN
    found = found[:CHOICES_SHOWN]
    chosen = row_id(form.client_id.data)
    if chosen is not None and all(row.id != chosen for row in found):
        name = db.session.scalar(
            select(ClientAccount.display_name).where(
                ClientAccount.id == chosen, ClientAccount.firm_id == firm_id
            )
        )
        if name is not None:
            found.insert(0, (chosen, name))
    placeholder = _("No client matches") if query and not found else _("Choose a client")
    form.client_id.choices = [SelectChoice("", placeholder)] + [
        SelectChoice(client_id, name) for client_id, name in found
    ]


def offer_invoices(form, firm_id: int, client_id: int | None, query: str = "") -> None:
    """Fill the Invoice select: the client's open invoices, oldest due first (those whose
    number contains `query`).

    Sets `form.open_invoices` (the invoices offered, as OpenInvoice), `form.invoice_search`
    and `form.invoice_query`.
    """
    form.invoice_query = query
    form.invoice_search = False
    form.choices_shown = CHOICES_SHOWN
    form.open_invoices = []
    if client_id:
        open_invoices = select(
            Invoice.id, Invoice.number, Invoice.issue_date, Invoice.balance
        ).where(Invoice.firm_id == firm_id, Invoice.client_id == client_id, Invoice.balance > 0)
        listed = open_invoices.order_by(Invoice.due_date, Invoice.id)
        if query:
            listed = listed.where(Invoice.number.icontains(query, autoescape=True))
        found = [OpenInvoice(*row) for row in db.session.execute(listed.limit(CHOICES_SHOWN + 1))]
        form.invoice_search = bool(query) or len(found) > CHOICES_SHOWN
        form.open_invoices = found[:CHOICES_SHOWN]
        chosen = row_id(form.invoice_id.data)
        if chosen is not None and all(i.id != chosen for i in form.open_invoices):
            # Whatever the search says, the chosen invoice stays among the options.
            row = db.session.execute(open_invoices.where(Invoice.id == chosen)).first()
            if row is not None:
                form.open_invoices.insert(0, OpenInvoice(*row))
    form.invoice_id.choices = [SelectChoice("", _placeholder(client_id, form))] + [
        SelectChoice(
            i.id,
            _(
                "%(number)s · %(date)s · %(balance)s open",
                number=i.number,
                date=day(i.issue_date),
                balance=amount(i.balance),
            ),
        )
        for i in form.open_invoices
    ]


def _placeholder(client_id, form) -> str:
    if not client_id:
        return _("Choose a client first")
    if form.open_invoices:
        return _("Choose an invoice")
    if form.invoice_query:
        return _("No open invoice matches")
    return _("This client has no open invoices")
