"""Clients page: the list with open balances and QuickBooks status, new client, row sync actions."""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..htmx import is_fragment_request
from ..listing import (
    answer_poll,
    created_row_response,
    enum_arg,
    filter_args,
    paginate,
    search_term,
    sync_action,
    sync_history,
)
from ..models import ClientAccount, Invoice, SyncStatus
from ..scoping import firm_select, get_or_404
from . import bp
from .forms import ClientForm
from .operations import create_client, display_name_taken

FILTERS = ("q", "status", "qbo")
# The list's own status filter: whether the firm still works for the client.
CLIENT_STATUSES = {"active": True, "inactive": False}


def _open_balance():
    # Correlated subquery: each client's open balance comes in the same query as the client.
    return (
        db.select(func.coalesce(func.sum(Invoice.balance), 0))
        .where(Invoice.client_id == ClientAccount.id)
        .correlate(ClientAccount)
        .scalar_subquery()
        .label("open_balance")
    )


def _with_balance():
    return firm_select(ClientAccount).add_columns(_open_balance())


def _status_arg() -> str | None:
    status = request.args.get("status")
    return status if status in CLIENT_STATUSES else None


def _filtered(query):
    if status := _status_arg():
        query = query.where(ClientAccount.active.is_(CLIENT_STATUSES[status]))
    if qbo := enum_arg("qbo", SyncStatus):
        query = query.where(ClientAccount.qbo_status == qbo)
    if q := search_term():
        query = query.where(ClientAccount.display_name.icontains(q, autoescape=True))
    return query


def _render_row(client, open_balance, oob=False, added=False) -> str:
    html = render_template(
        "clients/_row.html", client=client, open_balance=open_balance, oob=oob, added=added
    )
    return html.strip()  # the <tr> must come first in action responses (style.md conv. 13)


def _row_of(client) -> str:
    balance = db.session.execute(
        db.select(_open_balance()).select_from(ClientAccount).where(ClientAccount.id == client.id)
    ).scalar_one()
    return _render_row(client, balance)


def _poller(active=True, oob=True) -> str:
    return render_template("clients/_poller.html", active=active, oob=oob)


@bp.get("/")
def index():
    """Return the clients page, or only its results when htmx asks for them."""
    query = _filtered(_with_balance()).order_by(
        func.lower(ClientAccount.display_name), ClientAccount.id
    )
    count = _filtered(firm_select(ClientAccount).with_only_columns(ClientAccount.id))
    page = paginate(query, count, rows=lambda result: [tuple(row) for row in result])
    context = dict(
        page=page,
        args=filter_args(*FILTERS),
        q=search_term(),
        status=_status_arg(),
        qbo=enum_arg("qbo", SyncStatus),
        statuses=list(SyncStatus),
    )
    if is_fragment_request("clients-results"):
        return render_template("clients/_results.html", **context) + _poller(page.any_pending)
    return render_template("clients/index.html", **context)


@bp.get("/<int:client_id>/row")
def row(client_id):
    """Return one client row."""
    client = get_or_404(ClientAccount, client_id)
    if not is_fragment_request():
        return redirect(url_for("clients.index"))
    return _row_of(client)


@bp.get("/poll")
def poll():
    """Return out-of-band rows for watched clients whose QuickBooks status changed."""
    return answer_poll(
        lambda ids: db.session.execute(_with_balance().where(ClientAccount.id.in_(ids))).all(),
        lambda row: _render_row(*row, oob=True),
        url_for("clients.index"),
    )


@bp.post("/<int:client_id>/sync")
def sync(client_id):
    """Start syncing the client account; return its row and the re-armed poller."""
    client = get_or_404(ClientAccount, client_id)
    return sync_action(client, "sync", _row_of, _poller, url_for("clients.index"))


@bp.post("/<int:client_id>/unsync")
def unsync(client_id):
    """Start unsyncing the client account; return its row and the re-armed poller."""
    client = get_or_404(ClientAccount, client_id)
    return sync_action(client, "unsync", _row_of, _poller, url_for("clients.index"))


@bp.get("/<int:client_id>/history")
def history(client_id):
    """Return the client's sync history dialog."""
    client = get_or_404(ClientAccount, client_id)
    return sync_history(client, client.display_name)


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
    row_html = _render_row(client, 0, added=True)
    return created_row_response(row_html, "clients-body", message)


def _form_response(form, status=200):
    if is_fragment_request():
        return make_response(render_template("clients/_form.html", form=form), status)
    return make_response(render_template("clients/new.html", form=form), status)
