"""Reconciliation: Ledgerbridge against QuickBooks, and the rows QuickBooks changed on its own."""

from flask import Blueprint

bp = Blueprint("reconciliation", __name__, url_prefix="/reconciliation")

from . import views  # noqa: E402, F401
