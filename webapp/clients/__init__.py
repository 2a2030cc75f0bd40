from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from . import edit_views, views  # noqa: E402, F401
