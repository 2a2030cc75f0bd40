from flask import render_template

from . import bp


@bp.get("/integrations/quickbooks")
def quickbooks():
    """Return the QuickBooks integration settings page."""
    return render_template("settings/quickbooks.html")


@bp.post("/integrations/quickbooks/webhook")
def qbo_webhook():
    """Accept an Intuit webhook (wired by the sync engine)."""
    return "", 200
