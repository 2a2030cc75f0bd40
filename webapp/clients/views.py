"""Clients page: the list with open balances and QuickBooks status, new client, row sync actions."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..htmx import is_fragment_request
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
            "Status",
            "Any status",
            ClientAccount.active,
            (("active", "Active", True), ("inactive", "Inactive", False)),
        ),
        ChoiceFilter.of_enum(
            "qbo", "QuickBooks", "Any status", ClientAccount.qbo_status, SyncStatus
        ),
    ),
    columns=(
        Column("Name"),
        Column("Email"),
        Column("Open balance", "num"),
        Column("QuickBooks", "qbo-cell"),
    ),
    row_template="clients/_row.html",
    row_context=open_balances,
    new_label="New client",
    new_endpoint="clients.new",
    empty_text="No clients yet. Add one with “New client” above.",
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
        form.display_name.errors.append("A client with this name already exists.")
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
        form.display_name.errors.append("A client with this name already exists.")
        return _form_response(form, 422)
    message = f"Client {client.display_name} added."
    if not is_fragment_request():
        flash(message)
        return redirect(url_for("clients.index"))
    return CLIENTS.created_response(client, message, rearm_poller=False)


def _form_response(form, status=200):
    if is_fragment_request():
        return make_response(render_template("clients/_form.html", form=form), status)
    return make_response(render_template("clients/new.html", form=form), status)
