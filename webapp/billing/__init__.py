from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")

from . import invoice_views, payment_views  # noqa: E402, F401
