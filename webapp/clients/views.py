"""Clients page: the list with open balances and QuickBooks status, new client, row sync actions."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..htmx import is_fragment_request
from ..i18n import lazy_gettext as _l
from ..models import ClientAccount, Invoice, SyncStatus
from ..scoping import firm_select
from ..synced_lists import ChoiceFilter, Column, SyncedList
from . import bp
from .forms import ClientForm
from .operations import create_client, display_name_taken


def open_balances(clients) -> dict:
    """Each shown client's open balance, in one query over those clients' invoices only."""
    if not clients:
        return {"open_balances": {}}
    rows = db.session.execute(
        db.select(Invoice.client_id, func.sum(Invoice.balance))
        .where(Invoice.client_id.in_([client.id for client in clients]))
        .group_by(Invoice.client_id)
    )
    return {"open_balances": dict(rows.all())}


CLIENTS = SyncedList(
    name="clients",
    singular="client",
    model=ClientAccount,
    endpoint="clients.index",
    path="",
    select=lambda: firm_select(ClientAccount),
    sort=(func.lower(ClientAccount.display_name), ClientAccount.id),
    descending=False,
    client_id=ClientAccount.id,
    filters=(
        # The firm's own status of the client: whether it still works for them.
        ChoiceFilter(
            "status",
            _l("Status"),
            _l("Any status"),
            ClientAccount.active,
            (("active", _l("Active"), True), ("inactive", _l("Inactive"), False)),
        ),
        ChoiceFilter.of_enum(
            "qbo", _l("QuickBooks"), _l("Any status"), ClientAccount.qbo_status, SyncStatus
        ),
    ),
    columns=(
        Column(_l("Name")),
        Column(_l("Email")),
        Column(_l("Open balance"), "num"),
        Column(_l("QuickBooks"), "qbo-cell"),
    ),
    row_template="clients/_row.html",
    row_context=open_balances,
    title=_l("Clients"),
    no_match_text=_l("No clients match these filters."),
    new_label=_l("New client"),
    new_endpoint="clients.new",
    empty_text=_l("No clients yet. Add one with “New client” above."),
    history_title=lambda client: client.display_name,
)
CLIENTS.register(bp)


@bp.get("/new")
def new():
    """Return the new-client form (dialog fragment, or a page without JS)."""
    return _form_response(ClientForm())


@bp.post("/")
def create():
    """Add a client; answer with the new row for the top of the table, or the form with errors."""
    form = ClientForm()
    if not form.validate_on_submit():
        return _form_response(form, 422)
    if display_name_taken(current_user.firm_id, form.display_name.data):
        form.display_name.errors.append(_("A client with this name already exists."))
        return _form_response(form, 422)
    client = create_client(
        current_user.firm_id,
        display_name=form.display_name.data,
        email=form.email.data,
        phone=form.phone.data,
        address=form.address.data,
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Someone else added the same name between our check and the insert.
        db.session.rollback()
        form.display_name.errors.append(_("A client with this name already exists."))
        return _form_response(form, 422)
    message = _("Client %(name)s added.", name=client.display_name)
    if not is_fragment_request():
        flash(message)
        return redirect(url_for("clients.index"))
    return CLIENTS.created_response(client, message, rearm_poller=False)


def _form_response(form, status=200):
    if is_fragment_request():
        return make_response(render_template("clients/_form.html", form=form), status)
    return make_response(render_template("clients/new.html", form=form), status)
