"""Pieces every list page shares (clients, invoices, payments): pages of rows, the status
poller's response, row sync actions and the sync-history dialog.

Kept in one place so the three pages answer htmx the same way (style.md conventions 12-14).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, flash, make_response, redirect, render_template, request
from flask_htmx.constants import HTMX_STOP_POLLING
from flask_login import current_user
from sqlalchemy import Select, func
from sqlalchemy.engine import Row

from .extensions import db
from .htmx import is_fragment_request, toast, trigger_client_event
from .models import SyncEvent, SyncStatus, User
from .quickbooks.sync import SyncNotAllowed, request_sync, request_unsync
from .scoping import MAX_ID, parse_id

MAX_WATCHED = 500  # a page shows 50 rows; anything beyond this is not our page's poller
MAX_SEARCH = 100
_STATUS_VALUES = {status.value for status in SyncStatus}


@dataclass
class Page:
    """One page of rows with what ui.pager() needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def any_pending(self) -> bool:
        return any(not _record(item).qbo_status.is_final for item in self.items)


def _record(item):
    # Client rows come as (client, open_balance) tuples; the others as model instances.
    return item[0] if isinstance(item, tuple | Row) else item


def paginate(query: Select, count_query: Select, rows: Callable | None = None) -> Page:
    """Run one page of `query` (50 rows by default); `count_query` selects the ids it filters."""
    per_page = current_app.config["PAGE_SIZE"]
    total = db.session.execute(
        db.select(func.count()).select_from(count_query.order_by(None).subquery())
    ).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = rows(result) if rows else list(result.unique().scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


def search_term() -> str:
    # NUL cannot be typed, and PostgreSQL refuses it in a text parameter.
    return (request.args.get("q") or "").replace("\x00", "").strip()[:MAX_SEARCH]


def enum_arg(name: str, enum_cls):
    """The query-string value as an enum member, or None when absent or not one of them."""
    try:
        return enum_cls(request.args.get(name, ""))
    except ValueError:
        return None


def filter_args(*names: str) -> dict:
    """The filters currently applied, to keep them in pager links."""
    return {name: request.args[name] for name in names if request.args.get(name)}


def parse_watch() -> dict[int, str]:
    """Read `watch=<id>:<status>` values; malformed ones are ignored, not errors."""
    watched: dict[int, str] = {}
    for value in request.args.getlist("watch")[:MAX_WATCHED]:
        raw_id, _, status = value.partition(":")
        row_id = parse_id(raw_id)
        if row_id is not None and 0 < row_id <= MAX_ID and status in _STATUS_VALUES:
            watched[row_id] = status
    return watched


def answer_poll(load_rows: Callable, render_row: Callable, back: str):
    """Answer a page poller: out-of-band rows for the watched rows whose status changed.

    Args:
        load_rows: loads the firm's rows for a list of ids, in one query.
        render_row: renders one loaded row as its `<tr>` (called with oob=True).
        back: where a request without htmx is redirected (PRG fallback).

    204 nothing changed (keep polling); 200 some changed and some are still pending;
    286 nothing is pending any more (htmx still swaps the rows, then stops the interval).
    """
    if not is_fragment_request():
        return redirect(back)
    watched = parse_watch()
    records = list(load_rows(list(watched))) if watched else []
    changed, pending = [], False
    for item in records:
        record = _record(item)
        if record.qbo_status.value != watched.get(record.id):
            changed.append(item)
        if not record.qbo_status.is_final:
            pending = True
    if not changed:
        return ("", 204) if pending else ("", HTMX_STOP_POLLING)
    body = "".join(oob_row(render_row(item)) for item in changed)
    return body, 200 if pending else HTMX_STOP_POLLING


def sync_action(record, action: str, render_row: Callable, render_poller: Callable, back: str):
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
        .limit(200)
    ).all()
    context = dict(
        record=record, title=title, events=events, extra_template=extra_template, **extra
    )
    if is_fragment_request():
        return render_template("billing/_sync_history.html", **context)
    return render_template("billing/sync_history.html", **context)
