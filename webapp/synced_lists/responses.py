"""How every synced list answers htmx: a row action's row and re-armed poller, a new row at the
top of its table, rows out of band, and the sync-history dialog."""

from collections.abc import Callable

from flask import flash, make_response, redirect, render_template
from flask_login import current_user

from ..extensions import db
from ..htmx import is_fragment_request, toast, trigger_client_event
from ..models import SyncEvent, SyncStatus, User
from ..quickbooks.sync import SyncNotAllowed, request_sync, request_unsync

HISTORY_LIMIT = 200


def start_sync_action(
    record, action: str, render_row: Callable, render_poller: Callable, back: str
):
    """Start a sync or unsync of one row and answer with the row first, then the re-armed poller.

    Args:
        record: the row, already loaded for the user's firm.
        action: "sync" or "unsync".
        render_row: renders the row fragment for `record`.
        render_poller: renders the page's poller, active and out of band.
        back: where a request without htmx is redirected (PRG fallback).
    """
    user = current_user._get_current_object()
    try:
        started = (request_sync if action == "sync" else request_unsync)(record, user)
    except SyncNotAllowed as refused:
        message = str(refused)
        if not is_fragment_request():
            flash(message, "error")
            return redirect(back)
        response = make_response(message, 409)
        response.headers["HX-Reswap"] = "none"
        return toast(response, message, "error")
    if not is_fragment_request():
        flash(_action_message(record, action, started))
        return redirect(back)
    response = make_response(render_row(record) + render_poller())
    if not started:
        level = "warning"
    elif record.qbo_status is SyncStatus.FAILED:
        level = "error"  # the job could not even be queued; the row says why
    else:
        level = "info"
    return toast(response, _action_message(record, action, started), level)


def _action_message(record, action: str, started: bool) -> str:
    if not started:
        return "QuickBooks is already working on this row."
    if record.qbo_status is SyncStatus.FAILED:
        return record.qbo_message or "The sync could not start."
    return "Sync started." if action == "sync" else "Unsync started."


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
