"""How every synced list answers htmx: a row action's row and re-armed poller, a new row at the
top of its table, rows out of band, and the sync-history dialog."""

from collections.abc import Callable

from flask import flash, make_response, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..htmx import is_fragment_request, toast, trigger_client_event
from ..i18n import translated
from ..models import SyncEvent, User
from ..quickbooks.state import SyncAction
from ..quickbooks.sync import SyncNotAllowed, SyncStart, request_sync, request_unsync

HISTORY_LIMIT = 200


def start_sync_action(
    record, action: SyncAction, render_row: Callable, render_poller: Callable, back: str
):
    """Start a sync or unsync of one row and answer with the row first, then the re-armed poller.

    Args:
        record: the row, already loaded for the user's firm.
        action: "sync" or "unsync" (a SyncAction).
        render_row: renders the row fragment for `record`.
        render_poller: renders the page's poller, active and out of band.
        back: where a request without htmx is redirected (PRG fallback).
    """
    action = SyncAction(action)
    user = current_user._get_current_object()
    try:
        requested = (request_sync if action is SyncAction.SYNC else request_unsync)(record, user)
    except SyncNotAllowed as refused:
        message = translated(str(refused))
        if not is_fragment_request():
            flash(message, "error")
            return redirect(back)
        response = make_response(message, 409)
        response.headers["HX-Reswap"] = "none"
        return toast(response, message, "error")
    db.session.commit()  # the job is enqueued after this commit; then `outcome` is known
    outcome = requested.outcome
    message = _action_message(record, action, outcome)
    if not is_fragment_request():
        flash(message)
        return redirect(back)
    response = make_response(render_row(record) + render_poller())
    return toast(response, message, _TOAST_LEVELS[outcome])


_TOAST_LEVELS = {
    SyncStart.STARTED: "info",
    SyncStart.ALREADY_PENDING: "warning",
    SyncStart.QUEUE_UNAVAILABLE: "error",  # the row is Failed and says why
}


def _action_message(record, action: SyncAction, outcome: SyncStart) -> str:
    if outcome is SyncStart.ALREADY_PENDING:
        return _("QuickBooks is already working on this row.")
    if outcome is SyncStart.QUEUE_UNAVAILABLE:
        return translated(record.qbo_message) or _("The sync could not start.")
    return _("Sync started.") if action is SyncAction.SYNC else _("Unsync started.")


def created_row_response(
    row_html: str, tbody_id: str, message: str, extra: str = "", level: str = "success"
):
    """Put a new row at the top of the table (HX-Retarget), close the dialog and say so."""
    response = make_response(row_html + extra)
    response.headers["HX-Retarget"] = f"#{tbody_id}"
    response.headers["HX-Reswap"] = "afterbegin"
    trigger_client_event(response, "close-dialog")
    return toast(response, message, level)


def oob_row(row_html: str) -> str:
    """Wrap a row for an out-of-band swap: a bare <tr> cannot stand outside a table."""
    return f"<template>{row_html}</template>"


def sync_history(record, title: str, extra_template: str | None = None, **extra):
    """Render the sync-history dialog (fragment for htmx, a page otherwise)."""
    events = db.session.execute(
        db.select(SyncEvent, User)
        .outerjoin(User, SyncEvent.user_id == User.id)
        .where(
            SyncEvent.firm_id == current_user.firm_id,
            SyncEvent.record_type == type(record).RECORD_TYPE,
            SyncEvent.record_id == record.id,
        )
        .order_by(SyncEvent.created_at.desc(), SyncEvent.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    context = dict(
        record=record, title=title, events=events, extra_template=extra_template, **extra
    )
    if is_fragment_request():
        return render_template("synced_lists/_sync_history.html", **context)
    return render_template("synced_lists/sync_history.html", **context)
