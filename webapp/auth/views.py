"""Log in and out; every other page needs a signed-in user of an active firm."""

import logging
from urllib.parse import urlsplit

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, login_manager
from ..models import Role, User
from . import bp, throttle
from .forms import LoginForm

log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"auth.login", "healthz", "static", "quickbooks.webhook"}

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to continue."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.before_app_request
def require_login():
    """Deny by default: a new page is private unless listed in PUBLIC_ENDPOINTS."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def require_manager() -> None:
    """Abort with 403 unless the user is the firm's owner or an admin."""
    if current_user.role not in (Role.OWNER, Role.ADMIN):
        abort(403)


@bp.route("/login", methods=["GET", "POST"])
@throttle.per_address
@throttle.per_account
def login():
    """Render the sign-in form, or sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        password_ok = throttle.check_password(user, form.password.data)
        if user is None or not user.active or not password_ok:
            log.info("failed sign-in: account %r from %s", email, request.remote_addr)
            form.password.errors.append("Email or password is not right.")
            return render_template("auth/login.html", form=form), 422
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


def login_limited():
    """The sign-in page once a limit is reached (429): the form, a message, and Retry-After."""
    throttle.log_limited()
    seconds = throttle.seconds_until_retry()
    form = LoginForm()
    form.password.errors = [throttle.limited_message(seconds)]
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.post("/logout")
@login_required
def logout():
    """Sign out and return to the sign-in page."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the login form cannot be used as an open redirect.
    if target and target.startswith("/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("index")
