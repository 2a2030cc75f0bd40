from flask import render_template

from . import bp


@bp.get("/invoices")
def invoices():
    """Return the invoices page."""
    return render_template("billing/invoices.html")
