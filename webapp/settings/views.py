"""Settings > Integrations > QuickBooks: the connection, the payments default, the deposit account."""

import secrets

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.views import require_manager
from ..extensions import db
from ..htmx import is_fragment_request, toast
from ..i18n import translated
from ..models import QboAccount, utcnow
from ..quickbooks import oauth
from ..quickbooks.accounts import offered_accounts
from ..quickbooks.connection import (
    ConnectRefused,
    complete_connection,
    disconnect,
    firm_connection,
    request_accounts_refresh,
)
from . import bp
from .changes import changes_context
from .forms import UNDEPOSITED, DepositForm, PaymentsForm

STATE_KEY = "qbo_oauth_state"
RECONNECT_WITHIN_DAYS = 14
READ_WAIT_SECONDS = 60  # how long the deposit section polls for a read of the company


def _redirect_uri() -> str:
    return current_app.config["QBO_REDIRECT_URI"] or url_for(
        "settings.qbo_callback", _external=True
    )


def _context(deposit_form=None, refreshing_since=None) -> dict:
    firm = current_user.firm
    connection = firm_connection(firm.id)
    accounts = offered_accounts(firm, connection)
    if deposit_form is None:
        deposit_form = DepositForm(
            deposit_account_enabled=firm.deposit_account_enabled,
            deposit_account=firm.deposit_account_qbo_id or UNDEPOSITED,
        )
    deposit_form.set_choices(accounts)
    return {
        "firm": firm,
        "connection": connection,
        "status": connection_status(connection),
        "payments_form": PaymentsForm(sync_manual_payments=firm.sync_manual_payments),
        "deposit_form": deposit_form,
        "can_manage": current_user.can_manage_integrations,
        "refreshing_since": refreshing_since,
    }


def connection_status(connection) -> dict:
    """What the connection box shows: state, and whether to offer "Reconnect"."""
    if connection is None:
        return {"state": "never", "reconnect": False, "refresh_days_left": None}
    days_left = None
    if connection.refresh_expires_at:
        days_left = (connection.refresh_expires_at - utcnow()).days
    if not connection.is_connected:
        return {"state": "disconnected", "reconnect": True, "refresh_days_left": None}
    reconnect = connection.refresh_failing or (
        days_left is not None and days_left < RECONNECT_WITHIN_DAYS
    )
    return {"state": "connected", "reconnect": reconnect, "refresh_days_left": days_left}


def first_read_since(connection) -> float | None:
    """When a just-connected company's name and accounts began to be read, while not yet read."""
    if connection is None or not connection.is_connected or not connection.connected_at:
        return None
    if connection.accounts_fetched_at:
        return None
    since = connection.connected_at.timestamp()
    return since if utcnow().timestamp() - since <= READ_WAIT_SECONDS else None


@bp.get("/integrations/quickbooks")
def quickbooks():
    """Return the QuickBooks integration settings page."""
    # Right after connecting, the worker is still reading the company: the deposit section polls
    # until the accounts land and then brings the company name into the connection box too.
    since = first_read_since(firm_connection(current_user.firm_id))
    context = {**_context(refreshing_since=since), **changes_context()}
    return render_template("settings/quickbooks.html", **context)


@bp.post("/integrations/quickbooks/connect")
def qbo_connect():
    """Redirect to Intuit's consent page (the same for Connect and Reconnect)."""
    require_manager()
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = state
    url = oauth.authorization_url(current_app.config, _redirect_uri(), state)
    if is_fragment_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


@bp.get("/integrations/quickbooks/callback")
def qbo_callback():
    """Finish the OAuth flow started by qbo_connect, then return to the settings page."""
    require_manager()
    expected = session.pop(STATE_KEY, None)
    state = request.args.get("state", "")
    # Bytes, because compare_digest refuses str with non-ASCII characters.
    if not expected or not secrets.compare_digest(expected.encode(), state.encode()):
        flash(
            _("The QuickBooks connection could not be verified (state mismatch). Try again."),
            "error",
        )
        return redirect(url_for("settings.quickbooks"))
    if request.args.get("error"):
        flash(_("QuickBooks was not connected: the connection was cancelled."), "info")
        return redirect(url_for("settings.quickbooks"))
    code, realm_id = request.args.get("code", ""), request.args.get("realmId", "")
    if not code or not realm_id:
        flash(_("QuickBooks did not send a company to connect. Try again."), "error")
        return redirect(url_for("settings.quickbooks"))
    try:
        complete_connection(
            current_app.config, current_user.firm, current_user, code, realm_id, _redirect_uri()
        )
    except ConnectRefused as refused:
        db.session.rollback()
        flash(translated(str(refused)), "error")
        return redirect(url_for("settings.quickbooks"))
    db.session.commit()
    flash(_("QuickBooks is connected."), "success")
    return redirect(url_for("settings.quickbooks"))


@bp.post("/integrations/quickbooks/disconnect")
def qbo_disconnect():
    """Revoke the tokens and return the connection box (or redirect without htmx)."""
    require_manager()
    connection = firm_connection(current_user.firm_id)
    if connection is None or not connection.is_connected:
        abort(404)
    revoked = disconnect(current_app.config, connection)
    db.session.commit()
    message = _("QuickBooks is disconnected. Synced rows keep their QuickBooks links.")
    if not revoked:
        message += " " + _(
            "Intuit did not confirm the revocation; remove the app in QuickBooks too."
        )
    if not is_fragment_request():
        flash(message, "info")
        return redirect(url_for("settings.quickbooks"))
    response = make_response(render_template("settings/_connection.html", **_context()))
    return toast(response, message, "success")


@bp.post("/integrations/quickbooks/payments")
def qbo_payments():
    """Save "Sync manually created payments with QuickBooks" and return the section."""
    require_manager()
    form = PaymentsForm()
    if not form.validate():
        # Only a crafted request gets here (the switch sent as a file): say so, save nothing.
        message = next(iter(form.errors.values()))[0]
        return render_template("settings/_payments.html", **_context(), payments_error=message), 422
    current_user.firm.sync_manual_payments = form.sync_manual_payments.data
    db.session.commit()
    if not is_fragment_request():
        return redirect(url_for("settings.quickbooks"))
    response = make_response(render_template("settings/_payments.html", **_context()))
    message = (
        _("Syncing manually created payments is on.")
        if form.sync_manual_payments.data
        else _("Syncing manually created payments is off.")
    )
    return toast(response, message, "success")


@bp.post("/integrations/quickbooks/deposit")
def qbo_deposit():
    """Save the "Deposit to" account; errors re-render the section with status 422."""
    require_manager()
    form = DepositForm()
    context = _context(deposit_form=form)
    if not form.validate():
        return render_template("settings/_deposit.html", **context), 422
    firm = current_user.firm
    firm.deposit_account_enabled = form.deposit_account_enabled.data
    chosen = form.deposit_account.data if form.deposit_account_enabled.data else UNDEPOSITED
    if chosen == UNDEPOSITED:
        firm.deposit_account_qbo_id = None
        firm.deposit_account_name = None
    else:
        connection = context["connection"]
        account = db.session.execute(
            db.select(QboAccount).filter_by(
                firm_id=firm.id, realm_id=connection.realm_id, qbo_id=chosen
            )
        ).scalar_one()
        firm.deposit_account_qbo_id = account.qbo_id
        firm.deposit_account_name = account.name
    db.session.commit()
    if not is_fragment_request():
        flash(_("Deposit account saved."), "success")
        return redirect(url_for("settings.quickbooks"))
    response = make_response(render_template("settings/_deposit.html", **_context()))
    return toast(response, _("Deposit account saved."), "success")


@bp.post("/integrations/quickbooks/accounts/refresh")
def qbo_refresh_accounts():
    """Enqueue a re-read of the company's accounts; the section polls until it lands."""
    require_manager()
    connection = firm_connection(current_user.firm_id)
    if connection is None or not connection.is_connected:
        abort(404)
    refresh = request_accounts_refresh(current_user.firm_id)
    db.session.commit()
    since = utcnow().timestamp()
    response = make_response(
        render_template("settings/_deposit.html", **_context(refreshing_since=since))
    )
    if not refresh.sent:
        return toast(response, _("The background queue is not reachable. Try again."), "error")
    return toast(response, _("Reading the accounts from QuickBooks…"), "info")


@bp.get("/integrations/quickbooks/deposit")
def qbo_deposit_section():
    """Return the deposit section; keeps polling while an account refresh is under way."""
    since = request.args.get("since", type=float)
    connection = firm_connection(current_user.firm_id)
    done = (
        connection is None
        or not connection.is_connected
        or since is None
        or (connection.accounts_fetched_at and connection.accounts_fetched_at.timestamp() >= since)
        or utcnow().timestamp() - since > READ_WAIT_SECONDS
    )
    context = _context(refreshing_since=None if done else since)
    html = render_template("settings/_deposit.html", **context)
    if done and since is not None:
        # The same read fetched the company name: show it in the connection box as well.
        html += render_template("settings/_connection.html", oob=True, **context)
    return html
