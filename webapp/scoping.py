"""Load rows of the current user's firm only; anything else is a 404."""

import re

from flask import abort, request
from flask_login import current_user
from sqlalchemy import Select

from .extensions import db

MAX_ID = 2**31 - 1  # the largest id an INTEGER primary key holds on PostgreSQL
_ID = re.compile(r"[0-9]{1,100}")  # int() refuses over 4,300 digits


def firm_select(model) -> Select:
    return db.select(model).where(model.firm_id == current_user.firm_id)


def parse_id(value) -> int | None:
    """A row id sent in a form or query string: ASCII digits only, anything else is None.

    str.isdigit() and int() are both too lenient here ("²", "-5", "+1", "5_0").
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    return int(value) if _ID.fullmatch(value) else None


def row_id(value) -> int | None:
    """An id a row can have: from a query string or form (text, read by parse_id) or a form
    field's data (an int). None for anything else, zero, and ids no integer column holds."""
    if isinstance(value, str):
        value = parse_id(value)
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def get_for_firm_or_404(model, object_id: int):
    """Return the row if it belongs to the current user's firm; another firm's row is a 404."""
    row = db.session.get(model, object_id)
    if row is None or row.firm_id != current_user.firm_id:
        abort(404)
    return row


def get_or_404(model, object_id: int):
    """get_for_firm_or_404 that also answers 404 for ids no integer column can hold.

    Flask's int converter accepts any length; the database would fail on them instead.
    """
    if not 0 < object_id <= MAX_ID:
        abort(404)
    return get_for_firm_or_404(model, object_id)


def posted_row(model, name: str):
    """The row named by a posted id field: unknown or another firm's id is a 404; a blank or
    malformed value is None (the form then says "Choose a …" next to the field)."""
    object_id = parse_id(request.form.get(name))
    return None if object_id is None else get_or_404(model, object_id)
