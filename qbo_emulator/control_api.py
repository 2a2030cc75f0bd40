"""JSON control API under /_emulator/api/ (same operations as `Control`)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .control import ControlError

bp = Blueprint("qbo_control", __name__, url_prefix="/_emulator/api")


def control():
    return current_app.extensions["qbo_emulator"].control


def body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.errorhandler(ControlError)
def control_error(exc: ControlError):
    return jsonify({"error": str(exc)}), exc.status


@bp.errorhandler(TypeError)
@bp.errorhandler(ValueError)
@bp.errorhandler(AttributeError)
def bad_value(exc: Exception):
    # A JSON value of the wrong type ({"seconds": "x"}, {"name": 5}) is the caller's mistake, not a 500.
    return jsonify({"error": f"bad request: {exc}"}), 400


@bp.route("/companies", methods=["GET", "POST"])
def companies():
    """List companies, or create one from {"name": ...}."""
    if request.method == "POST":
        return jsonify({"realmId": control().create_company(body().get("name", ""))}), 201
    return jsonify(control().list_companies())


@bp.route("/companies/<realm>/faults", methods=["GET", "POST", "DELETE"])
def company_faults(realm):
    """Show, merge or clear a company's fault settings."""
    if request.method == "POST":
        return jsonify(control().set_faults(realm, **body()))
    if request.method == "DELETE":
        return jsonify(control().clear_faults(realm))
    return jsonify(control().get_faults(realm))


@bp.post("/companies/<realm>/expire-tokens")
def expire_tokens(realm):
    """Expire every access token of the company now."""
    return jsonify({"expired": control().expire_tokens(realm)})


@bp.post("/companies/<realm>/reset")
def reset(realm):
    """Return the company to its seeded state and clear its faults."""
    control().reset_company(realm)
    return jsonify({"realmId": realm, "reset": True})


@bp.post("/companies/<realm>/tokens")
def tokens(realm):
    """Connect {"client_id": ...} to the company without the consent page; return tokens."""
    return jsonify(control().issue_tokens(body().get("client_id", "ledgerbridge-demo"), realm))


@bp.get("/companies/<realm>/entities/<entity>")
def entities(realm, entity):
    """List every object of an entity, deleted ones flagged."""
    return jsonify(control().entities(realm, entity))


@bp.get("/companies/<realm>/webhook-events")
def webhook_events(realm):
    """List the company's webhook events and their delivery state."""
    return jsonify(control().webhook_events(realm))


@bp.post("/clock/advance")
def advance_clock():
    """Move a FrozenClock forward by {"seconds": N} (409 on a real clock)."""
    return jsonify({"now": control().advance_clock(body().get("seconds", 0))})


@bp.put("/apps/<client_id>/webhook")
def set_webhook(client_id):
    """Set an app's webhook URL, verifier token and payload format."""
    data = body()
    return jsonify(
        control().set_webhook(
            client_id,
            data.get("url", ""),
            data.get("verifier_token"),
            data.get("format", "cloudevents"),
        )
    )


@bp.get("/requests")
def requests_log():
    """Recent accounting API calls (filter with ?realm=)."""
    return jsonify(
        control().requests(request.args.get("realm"), int(request.args.get("limit", 1000)))
    )
