"""Edit client: the dialog from the row menu, saved here and, for a Synced client, in QuickBooks.

A client not in QuickBooks (Not synced, Failed, Skipped) is saved here only; a Failed one keeps
its badge and QuickBooks' message until the user syncs it again. A Synced client's change is
sent to QuickBooks by a job (webapp/quickbooks/keep_ours.py request_update), so the two never
differ unseen: without a connection the change is refused and nothing is written.
"""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..htmx import is_fragment_request, toast, trigger_client_event
from ..models import ClientAccount, SyncStatus
from ..quickbooks.keep_ours import request_update
from ..quickbooks.preflight import ALREADY_RUNNING, edit_blocker, update_blocker
from ..quickbooks.state import QUEUE_UNREACHABLE, record_history
from ..quickbooks.sync import SyncNotAllowed
from ..scoping import get_or_404
from . import bp
from .forms import ClientForm
from .operations import EDITABLE, display_name_taken, update_client
from .views import CLIENTS


@bp.app_template_global("client_edit_blocker")
def client_edit_blocker(client) -> str | None:
    return edit_blocker(client)


@bp.get("/<int:client_id>/edit")
def edit(client_id: int):
    """The Edit client form, filled with the client's details (dialog fragment, or a page)."""
    client = get_or_404(ClientAccount, client_id)
    if blocker := edit_blocker(client):
        return _refused(blocker)
    return _form_response(ClientForm(obj=client), client)


@bp.post("/<int:client_id>/edit")
def update(client_id: int):
    """Save the client; answer with its row swapped in place and a toast, or the form with errors."""
    client = get_or_404(ClientAccount, client_id)
    if blocker := edit_blocker(client):
        return _refused(blocker)
    form = ClientForm()
    if not form.validate_on_submit():
        return _form_response(form, client, 422)
    if display_name_taken(current_user.firm_id, form.display_name.data, exclude_id=client.id):
        form.display_name.errors.append(_("A client with this name already exists."))
        return _form_response(form, client, 422)
    old = update_client(client, **{name: form[name].data for name in EDITABLE})
    if not old:
        return _saved(client, _("Nothing changed."), "info")
    if blocker := update_blocker(client):
        db.session.rollback()
        return _form_response(form, client, 422, form_error=blocker)
    user = current_user._get_current_object()
    job = None
    try:
        if client.qbo_status is SyncStatus.SYNCED:
            job = request_update(client, user)
        elif not still_in_status(client):
            raise SyncNotAllowed(ALREADY_RUNNING)
    except SyncNotAllowed:  # a sync started between the check and now
        db.session.rollback()
        return _refused(_(ALREADY_RUNNING))
    try:
        db.session.commit()  # the update job goes out with this commit
    except IntegrityError:
        # Another client took the name between our check and this write.
        db.session.rollback()
        form.display_name.errors.append(_("A client with this name already exists."))
        return _form_response(form, client, 422)
    if job is not None and not job.sent:
        _undo(client, old, user)
        return _form_response(form, client, 422, form_error=_(QUEUE_UNREACHABLE))
    return _saved(client, _message(client, job is not None), "info" if job else "success")


def still_in_status(client) -> bool:
    """Whether no sync claimed the row since we loaded it; holds the row until our commit.

    A sync claimed after this waits for the commit and sends the new details; one claimed
    before it may have read the old ones, so the edit is refused instead.
    """
    same = (
        db.update(ClientAccount)
        .where(ClientAccount.id == client.id, ClientAccount.qbo_status == client.qbo_status)
        .values(qbo_status=client.qbo_status)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(same).rowcount == 1


def _message(client, sent: bool) -> str:
    name = client.display_name
    if sent:
        return _("Client %(name)s saved. Sending the change to QuickBooks…", name=name)
    if client.qbo_status is SyncStatus.FAILED:
        return _("Client %(name)s saved. Sync it again to send it to QuickBooks.", name=name)
    return _("Client %(name)s saved.", name=name)


def _undo(client, old: dict, user) -> None:
    """No job could be queued: put the client back as it was, Synced, so nothing differs."""
    for name, value in old.items():
        setattr(client, name, value)
    client.qbo_status = SyncStatus.SYNCED
    record_history(client, user, "update", "failed", message=QUEUE_UNREACHABLE)
    db.session.commit()


def _saved(client, message: str, level: str):
    """The row, updated, in place of the old one (and the poller if it syncs), dialog closed."""
    if not is_fragment_request():
        flash(message)
        return redirect(url_for("clients.index"))
    body = CLIENTS.render_row(client)
    if client.qbo_pending:
        body += CLIENTS.render_poller()
    response = make_response(body)
    response.headers["HX-Retarget"] = f"#client-{client.id}"
    response.headers["HX-Reswap"] = "outerHTML"
    trigger_client_event(response, "close-dialog")
    return toast(response, message, level)


def _refused(message: str):
    if not is_fragment_request():
        flash(message, "error")
        return redirect(url_for("clients.index"))
    response = make_response(message, 409)
    response.headers["HX-Reswap"] = "none"
    return toast(response, message, "error")


def _form_response(form, client, status=200, form_error=None):
    template = "clients/_form.html" if is_fragment_request() else "clients/edit.html"
    context = dict(form=form, client=client, form_error=form_error)
    return make_response(render_template(template, **context), status)
