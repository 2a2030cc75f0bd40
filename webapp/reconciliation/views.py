"""The Reconciliation page (owners and admins) and the actions that settle a flagged row.

Everything here reads and writes the local copy; "Keep Ledgerbridge's version" only enqueues
the job that sends it to QuickBooks.
"""

from datetime import date

from flask import abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.views import require_manager
from ..extensions import db
from ..htmx import is_fragment_request, toast
from ..i18n import translated
from ..models import SYNCED_MODELS, SyncStatus
from ..quickbooks.keep_ours import request_keep_ours
from ..quickbooks.sync import SyncNotAllowed
from ..scoping import get_or_404
from ..synced_lists.query_args import search_term
from . import bp
from .attention import attention_counts
from .resolve import CannotResolve, can_take_theirs, keep_here, take_theirs
from .totals import KINDS, LABELS, MISMATCHES_SHOWN, reconcile


@bp.app_template_global("take_allowed")
def take_allowed(record) -> bool:
    return can_take_theirs(record)


@bp.app_context_processor
def attention_for_managers():
    """The top bar's count of rows needing attention, for the people who can act on them."""

    def count():
        if current_user.is_authenticated and current_user.can_manage_integrations:
            return attention_counts(current_user.firm_id)["total"]
        return 0

    return {"attention_count": count}


def _day(name: str, default: date) -> tuple[date, str | None]:
    raw = request.args.get(name, "")
    if not raw:
        return default, None
    try:
        return date.fromisoformat(raw[:10]), None
    except ValueError:
        return default, _("Enter a date as YYYY-MM-DD.")


@bp.get("/")
def index():
    """Totals per client for a period, Ledgerbridge against QuickBooks, and every mismatch."""
    require_manager()
    today = date.today()
    start, start_error = _day("start", date(today.year, 1, 1))
    end, end_error = _day("end", today)
    if start > end:
        end_error = _("The end is before the start.")
        start, end = end, start
    search = search_term()
    mismatched_only = request.args.get("mismatches") == "1"
    report = reconcile(
        current_user.firm_id,
        start,
        end,
        search=search,
        mismatched_only=mismatched_only,
        dialect=db.engine.dialect.name,
    )
    args = {"start": start.isoformat(), "end": end.isoformat(), "q": search or None}
    args["mismatches"] = "1" if mismatched_only else None
    context = {
        "report": report,
        "kinds": KINDS,
        "labels": LABELS,
        "start": start,
        "end": end,
        "search": search,
        "mismatched_only": mismatched_only,
        "args": {key: value for key, value in args.items() if value is not None},
        "shown": MISMATCHES_SHOWN,
    }
    if is_fragment_request("recon-results"):  # the pager's links swap the results alone
        return render_template("reconciliation/_results.html", **context)
    return render_template(
        "reconciliation/index.html",
        errors={"start": start_error, "end": end_error},
        attention=attention_counts(current_user.firm_id),
        **context,
    )


def _record(record_type: str, record_id: int):
    model = SYNCED_MODELS.get(record_type)
    if model is None:
        abort(404)
    return get_or_404(model, record_id)


def _row_response(record, message: str, level: str = "success"):
    """The row re-rendered by its list, as the menu's hx-post expects, with a toast."""
    from ..billing.invoice_views import INVOICES
    from ..billing.payment_views import PAYMENTS
    from ..clients.views import CLIENTS

    kits = {"client": CLIENTS, "invoice": INVOICES, "payment": PAYMENTS}
    kit = kits.get(record.RECORD_TYPE)
    body = kit.render_row(record) + kit.render_poller() if kit else ""
    response = make_response(body)
    if kit is None:
        response.headers["HX-Refresh"] = "true"
    return toast(response, message, level)


def _refused(message: str):
    message = translated(message)  # ours, in English (marked N_), or already translated
    response = make_response(message, 409)
    response.headers["HX-Reswap"] = "none"
    return toast(response, message, "error")


@bp.get("/rows/<record_type>/<int:record_id>/differences")
def differences(record_type: str, record_id: int):
    """What QuickBooks changed, side by side with ours."""
    record = _record(record_type, record_id)
    context = {"record": record, "differences": record.qbo_remote_diff or []}
    if is_fragment_request():
        return render_template("reconciliation/_differences.html", **context)
    return render_template("reconciliation/differences.html", **context)


@bp.post("/rows/<record_type>/<int:record_id>/take-theirs", endpoint="take_theirs")
def take_theirs_view(record_type: str, record_id: int):
    return _settle(record_type, record_id, take_theirs, _("Took QuickBooks' version."))


@bp.post("/rows/<record_type>/<int:record_id>/keep-here", endpoint="keep_here")
def keep_here_view(record_type: str, record_id: int):
    return _settle(record_type, record_id, keep_here, _("Kept only in Ledgerbridge."), "info")


def _settle(record_type: str, record_id: int, settle, done: str, level: str = "success"):
    """Settle the row here (resolve.py) and answer with the row and a toast, or the refusal."""
    record = _record(record_type, record_id)
    try:
        settle(record, current_user._get_current_object())
    except CannotResolve as refused:
        db.session.rollback()
        return _refused(str(refused))
    db.session.commit()
    return _row_response(record, done, level)


@bp.post("/rows/<record_type>/<int:record_id>/keep-ours", endpoint="keep_ours")
def keep_ours_view(record_type: str, record_id: int):
    record = _record(record_type, record_id)
    try:
        job = request_keep_ours(record, current_user._get_current_object())
    except SyncNotAllowed as refused:
        db.session.rollback()
        return _refused(str(refused))
    db.session.commit()  # the job goes out with the commit
    if not job.sent:
        record.qbo_status = SyncStatus.SYNCED
        db.session.commit()
        return _refused(_("The background queue is not reachable. Try again in a minute."))
    return _row_response(record, _("Sending Ledgerbridge's version to QuickBooks…"), "info")
