"""News for an open list page: rows added or changed by someone else (a payment received in
QuickBooks and imported, a row QuickBooks changed) appear without a reload.

The first page of an unfiltered list carries a small element that asks every few seconds
(`hx-trigger="every 5s"`, no eval) for rows newer than the newest it shows, and for rows whose
sync history grew since it last asked. The answer is 204 when nothing happened, so an idle page
costs one indexed query per interval.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request
from flask_login import current_user

from ..extensions import db
from ..models import SyncEvent, utcnow
from ..scoping import MAX_ID, parse_id

INTERVAL_SECONDS = 5
MAX_ROWS = 50


def news_marker(kit, page) -> dict | None:
    """What the page's news element remembers: the newest row id and when it was rendered."""
    filtered = request.args.get("q") or any(request.args.get(f.name) for f in kit.filters)
    if page.has_prev or filtered:
        return None
    newest = max((record.id for record in page.items), default=0)
    return {"after": newest, "since": f"{utcnow().timestamp():.3f}"}


def _since() -> datetime | None:
    try:
        value = float(request.args.get("since", ""))
    except ValueError:
        return None
    return datetime.fromtimestamp(value, UTC) if 0 < value < 10**11 else None


def news_view(kit):
    """New rows to put on top, changed rows to replace, and the element itself, out of band."""
    after = parse_id(request.args.get("after", "0"))
    since = _since()
    if after is None or after > MAX_ID or since is None:
        return "", 204
    asked_at = utcnow()
    model = kit.model
    added = list(
        db.session.execute(
            kit.select().where(model.id > after).order_by(model.id.desc()).limit(MAX_ROWS)
        ).scalars()
    )
    touched_ids = set(
        db.session.execute(
            db.select(SyncEvent.record_id)
            .where(
                SyncEvent.firm_id == current_user.firm_id,
                SyncEvent.record_type == model.RECORD_TYPE,
                SyncEvent.created_at > since,
                SyncEvent.record_id <= after,
            )
            .limit(MAX_ROWS)
        ).scalars()
    )
    changed = (
        list(db.session.execute(kit.select().where(model.id.in_(touched_ids))).scalars())
        if touched_ids
        else []
    )
    if not added and not changed:
        return "", 204
    context = kit.row_context(added + changed)
    marker = {
        "after": max([after] + [r.id for r in added]),
        "since": f"{asked_at.timestamp():.3f}",
    }
    return render_template(
        "synced_lists/_news.html",
        kit=kit,
        added=[kit.render_row(r, added=True, context=context) for r in reversed(added)],
        changed=[kit.render_row(r, oob=True, context=context) for r in changed],
        marker=marker,
        oob=True,
    )
