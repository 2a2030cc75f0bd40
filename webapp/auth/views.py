"""Sign in and out, and change one's password; every other page needs a signed-in, active user."""

import logging
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload

from ..extensions import db, login_manager
from ..i18n import N_
from ..models import Firm, Role, User
from . import bp, throttle
from .forms import LoginForm, PasswordForm

log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"auth.login", "healthz", "static", "quickbooks.webhook"}

login_manager.login_view = "auth.login"
login_manager.login_message = N_("Sign in to continue.")
login_manager.localize_callback = _


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session or remember-me cookie "<id>:<session_token>", if the token is
    current and the user still active (deactivating a user ends their sessions too)."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19 and token.isascii()):
        return None
    # Nearly every page asks for the user's firm and its QuickBooks connection: one statement.
    user = db.session.get(
        User, int(user_id), options=(joinedload(User.firm).joinedload(Firm.qbo_connection),)
    )
    if user is None or not user.active or not user.has_session_token(token):
        return None
    return user


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
            form.password.errors.append(_("Email or password is not right."))
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
    """Sign out everywhere: the session token changes, so copies of this cookie stop working."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password; every other session of the user ends, this one stays."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 422 if form.errors else 200
    user = current_user._get_current_object()
    if not user.check_password(form.current_password.data):
        form.current_password.errors.append(_("That is not your current password."))
        return render_template("auth/password.html", form=form), 422
    user.set_password(form.new_password.data)  # a new session token: other cookies stop working
    db.session.commit()
    # This browser carries on with the new token, keeping "Keep me signed in" if it had it.
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=remember_cookie in request.cookies)
    log.info("password changed: user %s", user.id)
    flash(_("Your password is changed. Any other browser signed in as you is signed out."))
    return redirect(url_for("index"))


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the login form cannot be used as an open redirect.
    if target and target.startswith("/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("index")
