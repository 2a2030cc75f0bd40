"""The Accounting API v3 routes under /v3/company/<realmId>/."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from . import faults, guard, query
from .clock import qbo_datetime
from .entities import ENTITY_BY_PATH, REGISTRY, Books

bp = Blueprint("qbo_accounting", __name__, url_prefix="/v3/company/<realm>")


def emu():
    return current_app.extensions["qbo_emulator"]


def entity_name(path_name: str) -> str:
    name = ENTITY_BY_PATH.get(path_name)
    if name is None:
        raise faults.QBOFault(
            "404", "Resource not found", f"Unsupported resource: {path_name}", status=404
        )
    return name


def api_call(realm: str, work, write: bool = False, batch: bool = False) -> Response:
    """Run `work(books) -> dict` with everything Intuit puts around an API call."""
    state = emu()
    store, clock = state.store, state.clock
    client_id, key = None, None
    try:
        if store.company(realm) is None:
            raise faults.QBOFault(
                "610", "Object Not Found", f"Company {realm} does not exist", status=404
            )
        client_id = guard.authenticate(store, clock, realm)
        settings = store.get_faults(realm)
        key = (realm, client_id)
        enforce = settings.get("throttling", current_app.config["THROTTLING_DEFAULT"])
        state.throttle.enter(key, batch=batch, enforce=bool(enforce), settings=settings)
        try:
            response = _run(state, realm, client_id, settings, work, write)
        finally:
            state.throttle.exit(key)
    except faults.QBOFault as fault:
        response = faults.fault_response(fault, clock.now())
    store.log_request(
        realm,
        client_id,
        request.method,
        request.full_path.rstrip("?"),
        request.args.get("requestid"),
        response.status_code,
    )
    return response


def _run(state, realm, client_id, settings, work, write) -> Response:
    store, clock = state.store, state.clock
    roll = state.rng.random()
    edge = 0.0
    for status, rate_key in (
        (500, "error_500_rate"),
        (503, "error_503_rate"),
        (429, "error_429_rate"),
    ):
        edge += settings.get(rate_key, 0.0)
        if roll < edge:
            raise faults.throttled() if status == 429 else faults.system_error(status)
    guard.sleep_ms(settings.get("latency_ms", 0))
    requestid = request.args.get("requestid")
    ttl = float(current_app.config["REQUESTID_TTL_SECONDS"])
    with store.tx():
        if requestid:
            replay = guard.replay_or_reserve(store, clock, ttl, realm, client_id, requestid)
            if replay is not None:
                return replay
        try:
            with store.savepoint():
                body = work(Books(store, realm, clock, state.emit))
            response = faults.json_response(body, clock.now())
        except faults.QBOFault as fault:
            response = faults.fault_response(fault, clock.now())
        except faults.MALFORMED_BODY_ERRORS:
            response = faults.fault_response(faults.malformed(), clock.now())
        if requestid:
            guard.remember(store, realm, client_id, requestid, response)
    lost = (
        write
        and response.status_code == 200
        and state.rng.random() < settings.get("lost_response_rate", 0.0)
    )
    if lost:
        if settings.get("lost_response_mode") == "timeout":
            guard.sleep_ms(settings.get("lost_response_sleep_ms", 30000))
            return response
        return faults.fault_response(faults.system_error(500), clock.now())
    return response


def _json_body() -> dict:
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise faults.unsupported(
            "Request has invalid or unsupported property: body is not a JSON object"
        )
    return data


@bp.post("/<entity>")
def write_entity(realm, entity):
    """Create, update, delete or void one entity."""

    def work(books):
        name = entity_name(entity)
        obj = books.write(
            name, _json_body(), request.args.get("operation"), request.args.get("include")
        )
        return {name: obj}

    return api_call(realm, work, write=True)


@bp.get("/<entity>/<entity_id>")
def read_entity(realm, entity, entity_id):
    """Read one entity by Id (CompanyInfo is read by realm id)."""

    def work(books):
        name = entity_name(entity)
        if REGISTRY[name].kind == "singleton":
            return {name: books.read(name, "1")}
        return {name: books.read(name, entity_id)}

    return api_call(realm, work)


@bp.get("/preferences")
def read_preferences(realm):
    """Read the company's Preferences."""
    return api_call(realm, lambda books: {"Preferences": books.read("Preferences", "1")})


def run_query(books, text: str) -> dict:
    return {"QueryResponse": query.execute(books, query.parse(text))}


@bp.route("/query", methods=["GET", "POST"])
def query_endpoint(realm):
    """Run a SELECT given as ?query= or as an application/text body."""
    text = request.args.get("query") if request.method == "GET" else request.get_data(as_text=True)
    return api_call(realm, lambda books: run_query(books, text or ""))


SENDABLE = ("Invoice", "RefundReceipt")


@bp.post("/<entity>/<entity_id>/send")
def send_entity(realm, entity, entity_id):
    """Email a sales form: EmailStatus EmailSent, DeliveryInfo filled, BillEmail from ?sendTo= if given."""

    def work(books):
        name = entity_name(entity)
        if name not in SENDABLE:
            raise faults.unsupported(f"Operation send is not supported for {name}")
        obj = books.get(name, entity_id)
        if obj is None:
            raise faults.not_found(name, str(entity_id))
        send_to = request.args.get("sendTo")
        if send_to:
            if "@" not in send_to or "." not in send_to:
                raise faults.business("sendTo is not a valid email address", element="sendTo")
            obj["BillEmail"] = {"Address": send_to}
        if not (obj.get("BillEmail") or {}).get("Address"):
            raise faults.required("BillEmail")
        obj["EmailStatus"] = "EmailSent"
        obj["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": qbo_datetime(books.now())}
        books.save(
            name, obj, "Emailed"
        )  # SyncToken +1; webhook operation "Emailed", as Intuit documents
        return {name: books.read(name, entity_id)}

    return api_call(realm, work, write=True)


@bp.get("/<entity>/<entity_id>/pdf")
def invoice_pdf(realm, entity, entity_id):
    """Return a one-page placeholder PDF for a sales form."""

    def work(books):
        books.read(entity_name(entity), entity_id)
        return {}

    response = api_call(realm, work)
    if response.status_code != 200:
        return response
    text = f"{entity} {entity_id} printed by the QBO emulator at {qbo_datetime(emu().clock.now())}"
    pdf = (
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        f"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return Response(pdf.encode(), mimetype="application/pdf")
