"""Settings > QuickBooks > Changes made in QuickBooks: catch-up state, call counts, attention.

The page only reads the local copy and enqueues work; the catch-up itself runs in the worker.
"""

from flask import abort, make_response, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.views import require_manager
from ..extensions import db
from ..htmx import toast
from ..models import utcnow
from ..quickbooks.cdc import caught_up_since, out_of_reach, out_of_reach_message
from ..quickbooks.cdc_jobs import request_catch_up
from ..quickbooks.connection import firm_connection
from ..quickbooks.metering import METERED, monthly_counts
from ..reconciliation.attention import attention_counts
from . import bp

WAIT_SECONDS = 60  # how long the section polls for the catch-up it asked for


def changes_context(since: float | None = None) -> dict:
    connection = firm_connection(current_user.firm_id)
    connected = connection is not None and connection.is_connected
    waiting = (
        since is not None
        and connected
        and utcnow().timestamp() - since <= WAIT_SECONDS
        and not (connection.cdc_checked_at and connection.cdc_checked_at.timestamp() >= since)
    )
    return {
        "connection": connection,
        "connected": connected,
        "caught_up": caught_up_since(connection) if connection else None,
        "out_of_reach": connected and out_of_reach(connection),
        "out_of_reach_message": out_of_reach_message(connection) if connection else "",
        "calls": monthly_counts(connection.realm_id) if connection else {},
        "metered": METERED,
        "month": format_date(utcnow(), "LLLL yyyy"),
        "attention": attention_counts(current_user.firm_id),
        "can_manage": current_user.can_manage_integrations,
        "waiting_since": since if waiting else None,
    }


@bp.get("/integrations/quickbooks/changes")
def qbo_changes_section():
    """The section alone; polls while a catch-up it asked for has not finished."""
    return render_template(
        "settings/_changes.html", **changes_context(request.args.get("since", type=float))
    )


@bp.post("/integrations/quickbooks/catch-up")
def qbo_catch_up():
    """Enqueue a CDC catch-up now, or (full=1) a re-read of everything in the company."""
    require_manager()
    connection = firm_connection(current_user.firm_id)
    if connection is None or not connection.is_connected:
        abort(404)
    full = request.form.get("full") == "1"
    since = utcnow().timestamp()
    job = request_catch_up(current_user.firm_id, full)
    db.session.commit()  # the job goes out with the commit
    if not job.sent:
        response = make_response(render_template("settings/_changes.html", **changes_context()))
        return toast(response, _("The background queue is not reachable. Try again."), "error")
    response = make_response(render_template("settings/_changes.html", **changes_context(since)))
    message = (
        _("Re-reading everything from QuickBooks…")
        if full
        else _("Reading changes from QuickBooks…")
    )
    return toast(response, message, "info")
