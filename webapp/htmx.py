"""htmx helpers: one rule for page-vs-fragment, and HX-Trigger events that merge."""

import json

from flask import Response

from .extensions import htmx


def is_fragment_request(target: str | None = None) -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def trigger_client_event(response: Response, name: str, params: dict | None = None) -> Response:
    """Add an event to HX-Trigger, merging with any already set (as django-htmx does)."""
    events = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    events[name] = params or {}
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def toast(response: Response, message: str, level: str = "info") -> Response:
    return trigger_client_event(response, "toast", {"message": message, "level": level})


def add_vary_header(response: Response) -> Response:
    # Pages answer the same URL with a full page or a fragment, so caches must key on HX-Request.
    response.vary.add("HX-Request")
    return response
