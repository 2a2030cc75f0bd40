"""Load rows of the current user's firm only; anything else is a 404."""

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from .extensions import db


def firm_select(model) -> Select:
    return db.select(model).where(model.firm_id == current_user.firm_id)


def get_for_firm_or_404(model, object_id: int):
    """Return the row if it belongs to the current user's firm; another firm's row is a 404."""
    row = db.session.get(model, object_id)
    if row is None or row.firm_id != current_user.firm_id:
        abort(404)
    return row
