from flask import render_template

from . import bp


@bp.get("/")
def index():
    """Return the clients page."""
    return render_template("clients/index.html")
