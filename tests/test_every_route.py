"""Every route of the app, found in its URL map (so a new route is covered the day it is added):
hostile input never gets a 500, and another firm's row is a 404 wherever a URL names one."""

import re

import pytest
from werkzeug.routing import Rule

from webapp.extensions import db
from webapp.models import BulkRun

HX = {"HX-Request": "true"}
# Routes whose answer is not about the input: files, leaving, and the health check (503 here,
# where the tests' app has no Redis, as it should).
SKIPPED = {"static", "auth.logout", "healthz"}

# Values a careless or hostile client sends: empty, NUL, huge, negative, not numbers, numbers
# too big for a database integer, markup, other scripts, a path.
JUNK = [
    "",
    "\x00",
    "9" * 400,
    "-1",
    "1e999",
    "NaN",
    "9223372036854775808",
    "<script>alert(1)</script>",
    "١٢٣",
    "1,5.7",
    "../../etc/passwd",
    "x" * 5000,
]
FIELDS = [
    "client_id",
    "invoice_id",
    "payment_id",
    "amount",
    "received_on",
    "method",
    "reference",
    "description",
    "sync_to_qbo",
    "qbo_choice",
    "origin",
    "number",
    "issue_date",
    "due_date",
    "lines-0-description",
    "lines-0-quantity",
    "lines-0-unit_price",
    "lines-99999999-quantity",
    "refunded_on",
    "reason",
    "display_name",
    "email",
    "phone",
    "address",
    "time_zone",
    "locale",
    "deposit_account",
    "deposit_account_enabled",
    "sync_manual_payments",
    "action",
    "scope",
    "record_type",
    "ids",
    "selected",
    "run_id",
    "current_password",
    "new_password",
    "confirm_password",
    "password",
    "q",
    "page",
    "last",
    "after",
    "since",
    "watch",
    "status",
    "qbo",
    "period",
    "start",
    "end",
    "client",
]
# Path values an id or a record type may take: ours that does not exist, zero, beyond 64 bits.
ID_VALUES = ["0", "987654321", "9223372036854775808"]
TYPE_VALUES = ["client", "invoice", "payment", "refund", "nonsense"]


def app_rules(app) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED),
        key=lambda rule: rule.rule,
    )


def build(rule: Rule, record_id: str, record_type: str = "client") -> str:
    url = rule.rule
    url = re.sub(r"<int:[a-z_]+>", record_id, url)
    return re.sub(r"<(?:string:)?record_type>", record_type, url)


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.fixture
def no_csrf(app):
    """CSRF has its own tests; here the forms' own checks must hold without it."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.parametrize("round_", range(len(JUNK)))
def test_no_route_answers_hostile_input_with_a_500(no_csrf, client, user, round_):
    junk = JUNK[round_]
    # Each field gets a different value of the list, so every round mixes them differently.
    form = {name: JUNK[(round_ + i) % len(JUNK)] for i, name in enumerate(FIELDS)}
    failures = []
    for rule in app_rules(no_csrf):
        record_types = TYPE_VALUES if "record_type" in rule.rule else ["client"]
        for record_type in record_types:
            url = build(rule, ID_VALUES[round_ % len(ID_VALUES)], record_type)
            for method in methods(rule):
                for headers in ({}, HX):
                    if method == "GET":
                        response = client.get(url, query_string=form, headers=headers)
                    else:
                        response = client.post(url, data=form, headers=headers)
                    if response.status_code >= 500:
                        failures.append(f"{method} {url} {response.status_code}")
    assert not failures, f"with {junk!r} among the values:\n" + "\n".join(failures)


@pytest.fixture
def other_firms_rows(make):
    """One row of every kind, all another firm's: {record type: id}."""
    firm = make.firm()
    owner = make.user(firm)
    client = make.client(firm)
    invoice = make.invoice(client, "100.00")
    payment = make.payment(invoice, "10.00")
    refund = make.refund(payment, "1.00")
    run = BulkRun(firm_id=firm.id, user_id=owner.id, action="sync", scope="selected")
    db.session.add(run)
    db.session.commit()
    return {
        "client": client.id,
        "invoice": invoice.id,
        "payment": payment.id,
        "refund": refund.id,
        "run": run.id,
    }


def kind_of(rule: Rule) -> str | None:
    """Which kind of row the id in the URL names, or None when the URL names none."""
    if "<int:" not in rule.rule:
        return None
    for prefix, kind in (
        ("/clients/", "client"),
        ("/billing/invoices/", "invoice"),
        ("/billing/payments/", "payment"),
        ("/bulk/runs/", "run"),
    ):
        if rule.rule.startswith(prefix):
            return kind
    return "record_type"


def test_another_firms_row_is_a_404_on_every_route_that_names_one(
    no_csrf, client, user, other_firms_rows
):
    checked, failures = 0, []
    for rule in app_rules(no_csrf):
        kind = kind_of(rule)
        if kind is None:
            continue
        targets = (
            [(t, other_firms_rows[t]) for t in ("client", "invoice", "payment", "refund")]
            if kind == "record_type"
            else [("client", other_firms_rows[kind])]
        )
        for record_type, record_id in targets:
            url = build(rule, str(record_id), record_type)
            for method in methods(rule):
                for headers in ({}, HX):
                    response = client.open(
                        url, method=method, data={"amount": "1.00"}, headers=headers
                    )
                    checked += 1
                    if response.status_code != 404:
                        failures.append(f"{method} {url} {response.status_code}")
    assert checked > 40  # every route that names a row was tried
    assert not failures, "\n".join(failures)
