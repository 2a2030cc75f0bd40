"""Bulk actions: "Sync selected", "Unsync selected", "Retry all failed", "Send everything to
QuickBooks", and the progress panel that follows a run.

The lists post their selection here with their search and filters in the query string, so
"Select all N matching" means every page of exactly what the list shows. Every action is
previewed in a dialog first (what will be sent, deleted or left out, and why), then started.
Rows are always taken from the signed-in user's firm: another firm's ids are simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import Select, select

from ..auth.views import require_manager
from ..billing.invoice_views import INVOICES
from ..billing.payment_views import PAYMENTS
from ..clients.views import CLIENTS
from ..extensions import db
from ..htmx import is_fragment_request, toast, trigger_client_event
from ..models import BulkRun, BulkScope, SyncStatus
from ..quickbooks import bulk
from ..scoping import get_or_404, parse_id
from . import bp

LISTS = {kit.name: kit for kit in (CLIENTS, INVOICES, PAYMENTS)}
MAX_PICKED = 1000  # ids ticked one by one; "Select all N matching" has no limit
ACTIONS = ("sync", "unsync", "retry")
BACKLOG = "everything"


@dataclass
class Selection:
    """What a bulk request is about, read from the request and scoped to the user's firm."""

    action: str  # "sync" or "unsync"
    scope: BulkScope
    kit: object | None  # the SyncedList it came from; None for "Send everything"
    chosen: Select | None
    picked: list[int]
    all_matching: bool

    @property
    def record_type(self) -> str | None:
        return self.kit.model.RECORD_TYPE if self.kit else None

    def back_url(self) -> str:
        """The page the action came from, with its search and filters."""
        if self.kit is None:
            return url_for("settings.quickbooks")
        args = {k: v for k, v in request.args.items() if k != "list"}
        return url_for(self.kit.endpoint, **args)


def read_selection() -> Selection:
    """The list, the action and the rows of this request (400 when it names neither)."""
    name = request.args.get("list", "")
    action = request.form.get("action", "")
    if name == BACKLOG:
        require_manager()
        return Selection("sync", BulkScope.BACKLOG, None, None, [], False)
    kit = LISTS.get(name)
    if kit is None or action not in ACTIONS:
        abort(400)
    model = kit.model
    if action == "retry":
        failed = select(model.id).where(
            model.firm_id == current_user.firm_id, model.qbo_status == SyncStatus.FAILED
        )
        return Selection("sync", BulkScope.FAILED, kit, failed, [], False)
    all_matching = request.form.get("all") == "1"
    picked = [
        row_id
        for row_id in (parse_id(value) for value in request.form.getlist("ids")[:MAX_PICKED])
        if row_id is not None
    ]
    chosen = kit.matching_ids() if all_matching else select(model.id).where(model.id.in_(picked))
    return Selection(action, BulkScope.SELECTED, kit, chosen, picked, all_matching)


def _refused(message: str, selection: Selection):
    if not is_fragment_request():
        return render_template("bulk/confirm.html", refused=message, selection=selection), 409
    response = make_response(message, 409)
    response.headers["HX-Reswap"] = "none"
    return toast(response, message, "error")


@bp.post("/preview")
def preview():
    """The confirmation dialog: what the action would send, delete or leave out."""
    selection = read_selection()
    try:
        plan = bulk.preview(
            current_user.firm, selection.action, selection.record_type, selection.chosen
        )
    except bulk.BulkNotAllowed as refused:
        return _refused(_(str(refused)), selection)
    if not plan.total:
        return _refused(
            _("Nothing to do: none of these rows can be sent to QuickBooks now."), selection
        )
    template = "bulk/_confirm.html" if is_fragment_request() else "bulk/confirm.html"
    return render_template(
        template, plan=plan, selection=selection, running=bulk.active_run(current_user.firm_id)
    )


@bp.post("/start")
def start():
    """Take the rows on and start the run; back to the page, where the panel follows it."""
    selection = read_selection()
    try:
        bulk.start(
            current_user.firm,
            current_user._get_current_object(),
            selection.action,
            selection.scope,
            selection.record_type,
            selection.chosen,
        )
    except bulk.BulkNotAllowed as refused:
        db.session.rollback()
        return _refused(_(str(refused)), selection)
    db.session.commit()  # the run's lanes are enqueued after this commit
    back = selection.back_url()
    if not is_fragment_request():
        return redirect(back, 303)
    response = make_response("", 204)
    response.headers["HX-Redirect"] = back
    return response


def _run_or_404(run_id: int) -> BulkRun:
    return get_or_404(BulkRun, run_id)


@bp.get("/runs/<int:run_id>")
def panel(run_id: int):
    """The progress panel of one run (polled every 2 s while the run goes on)."""
    run = _run_or_404(run_id)
    if not is_fragment_request():
        return redirect(url_for("settings.quickbooks"))
    return render_template("bulk/_panel.html", run=run, progress=bulk.progress(run))


@bp.post("/runs/<int:run_id>/cancel")
def cancel(run_id: int):
    """Cancel a run: rows not sent yet go back to how they were; batches in flight finish."""
    run = _run_or_404(run_id)
    back = bulk.cancel(run, current_user._get_current_object())
    db.session.commit()
    message = ngettext(
        "Cancelled. %(num)s row was not sent and is as it was before.",
        "Cancelled. %(num)s rows were not sent and are as they were before.",
        back,
    )
    if not is_fragment_request():
        return redirect(request.referrer or url_for("settings.quickbooks"), 303)
    response = make_response(
        render_template("bulk/_panel.html", run=run, progress=bulk.progress(run))
    )
    # The list's rows go back from Syncing…: the page's poller brings each one in.
    return trigger_client_event(toast(response, message, "info"), "bulk-cancelled")


@bp.app_context_processor
def bulk_panel():
    """`bulk_run()` in templates: the firm's run to show (running, or just finished)."""

    def bulk_run():
        if not current_user.is_authenticated:
            return None
        return bulk.run_to_show(current_user.firm_id)

    return {"bulk_run": bulk_run, "bulk_progress": bulk.progress, "bulk_noun": bulk.noun}
