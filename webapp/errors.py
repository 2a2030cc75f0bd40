"""Error pages and htmx-friendly error responses; no input may end in a 500 page without care."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .extensions import db
from .htmx import is_fragment_request, toast
from .i18n import N_


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error(
            400, N_("Your session expired or the form was stale. Reload the page and try again.")
        )

    @app.errorhandler(400)
    def bad_request(error):
        return _error(400, N_("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(error):
        return _error(403, N_("Only firm owners and admins can do that."))

    @app.errorhandler(404)
    def not_found(error):
        return _error(404, N_("That page or record does not exist."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return _error(405, N_("That action is not available here."))

    @app.errorhandler(413)
    def too_large(error):
        return _error(413, N_("That request is too large. Nothing was saved."))

    @app.errorhandler(429)
    def too_many_requests(error):
        if request.endpoint == "auth.login":
            from .auth.views import login_limited

            return login_limited()
        return _error(429, N_("Too many attempts. Wait a minute and try again."))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return _error(500, N_("Something went wrong on our side. Nothing was saved."))


def _error(status: int, message: str):
    if is_fragment_request():
        message = _(message)
        response = app_response(message, status)
        return toast(response, message, "error")
    return render_template("error.html", status=status, message=_(message)), status


def app_response(message: str, status: int):
    from flask import make_response

    return make_response(message, status)
