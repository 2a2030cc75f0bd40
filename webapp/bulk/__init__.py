from flask import Blueprint

bp = Blueprint("bulk", __name__, url_prefix="/bulk")

from . import views  # noqa: E402, F401
