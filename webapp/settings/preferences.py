"""Settings > Preferences: the firm's time zone (owners and admins) and each user's language.

Like every control on the Settings pages, each saves when it changes and says so in a toast.
"""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.views import require_manager
from ..extensions import db
from ..htmx import is_fragment_request, toast
from ..i18n import LANGUAGES, time_zones
from . import bp
from .forms import BROWSER_LANGUAGE, LanguageForm, TimeZoneForm


def preferences_context(time_zone_form=None, language_form=None) -> dict:
    if time_zone_form is None:
        time_zone_form = TimeZoneForm(time_zone=current_user.firm.time_zone)
    time_zone_form.time_zone.choices = [(zone, zone) for zone in _zone_names()]
    if language_form is None:
        language_form = LanguageForm(locale=current_user.locale or BROWSER_LANGUAGE)
    language_form.locale.choices = [(BROWSER_LANGUAGE, _("The browser's language"))] + list(
        LANGUAGES.items()
    )
    return {
        "time_zone_form": time_zone_form,
        "language_form": language_form,
        "can_manage": current_user.can_manage_integrations,
    }


def _zone_names() -> list[str]:
    # Region/City zones people pick from; the legacy aliases ("US/Eastern", "EST5EDT") aside.
    regions = ("Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
    return ["UTC"] + sorted(zone for zone in time_zones() if zone.startswith(regions))


@bp.get("/preferences")
def preferences():
    """The page: the firm's time zone and the user's language."""
    return render_template("settings/preferences.html", **preferences_context())


@bp.post("/preferences/time-zone")
def save_time_zone():
    """Save the firm's time zone; a bad value re-renders the section with its error (422)."""
    require_manager()
    form = TimeZoneForm()
    context = preferences_context(time_zone_form=form)
    if not form.validate():
        return _section("settings/_time_zone.html", context, 422)
    current_user.firm.time_zone = form.time_zone.data
    db.session.commit()
    return _saved(
        "settings/_time_zone.html", _("Times are now shown in %(zone)s.", zone=form.time_zone.data)
    )


@bp.post("/preferences/language")
def save_language():
    """Save the user's language (any user: it is their own)."""
    form = LanguageForm()
    context = preferences_context(language_form=form)
    if not form.validate():
        return _section("settings/_language.html", context, 422)
    current_user.locale = form.locale.data or None
    db.session.commit()
    if not is_fragment_request():
        return redirect(url_for("settings.preferences"))
    # The whole page changes language: ask htmx to load it again.
    response = make_response("")
    response.headers["HX-Refresh"] = "true"
    return response


def _section(template: str, context: dict, status: int = 200):
    if not is_fragment_request():
        abort(status)
    return render_template(template, **context), status


def _saved(template: str, message: str):
    if not is_fragment_request():
        flash(message, "success")
        return redirect(url_for("settings.preferences"))
    response = make_response(render_template(template, **preferences_context()))
    return toast(response, message, "success")
