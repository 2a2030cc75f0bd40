"""Paging, counting and searching the synced lists (Clients, Invoices, Payments) the way that stays
fast at 100,000 rows: seek pagination with stable ties, a capped count, the search served by an
index with the same results on SQLite and PostgreSQL, and plans that use the lists' indexes."""

import html
import re
from datetime import date

import pytest
from sqlalchemy import event, update

from tests.test_clients_views import client_names as names_in_client_rows
from webapp.demo.seed import DEMO_EMAIL, seed_demo
from webapp.extensions import db
from webapp.models import ClientAccount, Invoice, Payment, PaymentMethod, SyncStatus, User
from webapp.planner import refresh_planner_statistics
from webapp.synced_lists import paging

HX = {"HX-Request": "true"}


def payment_ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="payment-(\d+)"', body)]


def client_names(body: str) -> list[str]:
    return [html.unescape(name) for name in names_in_client_rows(body)]


def pager_link(body: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', body)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def small_pages(app):
    app.config["PAGE_SIZE"] = 3


def test_walking_forward_then_back_meets_the_same_pages_and_ties_break_by_id(
    client, make, user, invoice, small_pages
):
    same_day = date(2026, 3, 1)
    made = [make.payment(invoice, "1.00", received_on=same_day) for _ in range(8)]
    db.session.commit()
    newest_first = [p.id for p in reversed(made)]

    pages, url = [], "/billing/payments"
    while url:
        body = client.get(url).text
        pages.append(payment_ids(body))
        url = pager_link(body, "next")
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:8]]
    assert "Page 3 of 3 · 8 rows" in body

    back, url = [], pager_link(body, "prev")
    while url:
        body = client.get(url).text
        back.append(payment_ids(body))
        url = pager_link(body, "prev")
    assert back == [newest_first[3:6], newest_first[0:3]]
    assert "Page 1 of 3 · 8 rows" in body


def test_the_last_page_holds_the_remainder_and_first_and_last_links_show_when_useful(
    client, make, user, invoice, small_pages
):
    made = [make.payment(invoice, "1.00") for _ in range(7)]
    db.session.commit()
    first = client.get("/billing/payments").text
    assert pager_link(first, "first") is None and pager_link(first, "prev") is None
    assert pager_link(first, "last") == "/billing/payments?last=1"
    last = client.get("/billing/payments?last=1").text
    assert payment_ids(last) == [made[0].id]
    assert "Page 3 of 3 · 7 rows" in last
    assert pager_link(last, "next") is None and pager_link(last, "last") is None
    assert pager_link(last, "first") == "/billing/payments"
    assert pager_link(last, "prev") == f"/billing/payments?before={made[0].id}"


def test_pager_links_keep_the_filters_and_a_cursor_of_another_firm_is_ignored(
    client, make, user, invoice, small_pages
):
    theirs = make.payment(make.invoice(make.client(make.firm())), "1.00")
    for _ in range(4):
        make.payment(invoice, "1.00", method=PaymentMethod.CASH)
    db.session.commit()
    first = client.get("/billing/payments?method=cash&qbo=not_synced").text
    assert re.search(r"after=\d+&qbo=not_synced&method=cash", pager_link(first, "next"))
    assert pager_link(first, "last") == "/billing/payments?last=1&qbo=not_synced&method=cash"
    # Another firm's row says nothing about this firm's order: back to the first page.
    stray = client.get(f"/billing/payments?after={theirs.id}&method=cash").text
    assert payment_ids(stray) == payment_ids(client.get("/billing/payments?method=cash").text)


def test_a_count_beyond_the_limit_is_shown_as_limit_plus(
    client, make, user, invoice, small_pages, monkeypatch
):
    monkeypatch.setattr(paging, "COUNT_LIMIT", 5)
    for _ in range(7):
        make.payment(invoice, "1.00")
    db.session.commit()
    first = client.get("/billing/payments").text
    assert "5+ rows" in first
    assert "Page " not in first  # no page numbers without an exact count
    assert pager_link(first, "next") and pager_link(first, "last")
    last = client.get("/billing/payments?last=1").text
    assert len(payment_ids(last)) == 3  # the last full page, counted from the end
    monkeypatch.setattr(paging, "COUNT_LIMIT", 7)
    assert "Page 1 of 3 · 7 rows" in client.get("/billing/payments").text


# Search ----------------------------------------------------------------------------------------

NAMES = [
    "Summit Ridge Landscaping",
    "Blue Ridge Brewing Company",
    "ridgeway partners",
    "100% Organic",
    "Snake_Case Ltd",
    'The "Quoted" Cafe',
    "Café Élan",
    "Al",
]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ridge", ["Blue Ridge Brewing Company", "ridgeway partners", "Summit Ridge Landscaping"]),
        ("RIDGE LAND", ["Summit Ridge Landscaping"]),
        ("mit rid", ["Summit Ridge Landscaping"]),
        ("%", ["100% Organic"]),
        ("e_c", ["Snake_Case Ltd"]),
        ('"quoted"', ['The "Quoted" Cafe']),
        ("élan", ["Café Élan"]),
        ("la", ["Café Élan", "Summit Ridge Landscaping"]),  # under three letters: no index
        ("zzz", []),
    ],
)
def test_search_finds_the_name_anywhere_in_any_case_on_both_databases(
    client, make, user, typed, found
):
    for name in NAMES:
        make.invoice(make.client(user.firm, display_name=name))
    make.client(make.firm(), display_name="Summit Ridge Landscaping")  # another firm's
    db.session.commit()
    body = client.get("/clients/", query_string={"q": typed}, headers=HX).text
    assert sorted(client_names(body)) == sorted(found)
    invoices = client.get("/billing/invoices", query_string={"q": typed}).text
    assert len(re.findall(r'<tr id="invoice-\d+"', invoices)) == len(found)


def test_search_follows_a_renamed_client(client, make, user):
    acme = make.client(user.firm, display_name="Acme Dental")
    db.session.commit()
    acme.display_name = "Birchwood Dental"
    db.session.commit()
    assert client_names(client.get("/clients/?q=birch").text) == ["Birchwood Dental"]
    assert client_names(client.get("/clients/?q=acme").text) == []


# Plans -----------------------------------------------------------------------------------------


def statements_of(client, url: str) -> list[tuple[str, object]]:
    captured = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return captured


def plan_of(statement: str, parameters, without_table_scans=False) -> str:
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(row[3] for row in rows)
        if without_table_scans:
            conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return "\n".join(row[0] for row in rows)


PLANS = [
    ("/billing/payments", "payment", "ix_payment_firm_sort"),
    ("/billing/payments?last=1", "payment", "ix_payment_firm_sort"),
    ("/billing/payments?method=cash", "payment", "ix_payment_firm_method_sort"),
    # A few hundred Failed rows: PostgreSQL may fetch them by status alone and sort them.
    ("/billing/payments?qbo=failed&last=1", "payment", "ix_payment_(firm_qbo_sort|qbo_status)"),
    ("/billing/invoices", "invoice", "ix_invoice_firm_sort"),
    ("/billing/invoices?status=paid", "invoice", "ix_invoice_firm_status_sort"),
    ("/billing/invoices?qbo=failed&last=1", "invoice", "ix_invoice_(firm_qbo_sort|qbo_status)"),
    ("/clients/", "client_account", "ix_client_account_firm_sort"),
    ("/clients/?last=1", "client_account", "ix_client_account_firm_sort"),
    ("/clients/?status=inactive", "client_account", "ix_client_account_firm_active_sort"),
    ("/clients/?qbo=failed", "client_account", "ix_client_account_(firm_qbo_sort|qbo_status)"),
]


@pytest.fixture
def demo_firm(app, make, auth):
    """The demo firm with 5,000 clients and 2,000 payments (seed-demo's data and its fresh planner
    statistics),
    its owner signed in: enough rows, spread as in real use, for the planners to choose."""
    with app.app_context():
        seed_demo(payments=2_000, invoices=1_500, clients=5_000)
        # The demo seeds no Failed rows; one in twenty gives the QuickBooks filter something to find.
        for model in (ClientAccount, Invoice, Payment):
            failed = update(model).where(model.id % 20 == 0).values(qbo_status=SyncStatus.FAILED)
            db.session.execute(failed)
        refresh_planner_statistics()
        owner = db.session.execute(db.select(User).filter_by(email=DEMO_EMAIL)).scalar_one()
        auth.login(owner)
        return owner


def test_each_page_reads_its_rows_in_order_from_its_index(client, demo_firm):
    for url, table, index in PLANS:
        statements = statements_of(client, url)
        page = [(s, p) for s, p in statements if re.search(rf"FROM {table}\b.*ORDER BY", s, re.S)]
        assert len(page) == 1, (url, statements)
        plan = plan_of(*page[0])
        assert re.search(index, plan), (url, plan)
        # Rows come in order from the index; PostgreSQL may still choose to sort the few hundred
        # a selective filter leaves at this size (bench/pages.py checks the plans at 100,000).
        sorted_rows = [int(n) for n in re.findall(r"Sort  \(cost=\S+ rows=(\d+)", plan)]
        assert "TEMP B-TREE" not in plan and all(n <= 1000 for n in sorted_rows), (url, plan)
        # The count stops after COUNT_LIMIT + 1 rows, whatever the table holds.
        count = next((s, p) for s, p in statements if s.startswith("SELECT count(*)"))
        assert "LIMIT" in count[0] and "JOIN" not in count[0], (url, count)
        assert "Limit" in plan_of(*count) or "INDEX" in plan_of(*count), (url, plan_of(*count))


@pytest.mark.parametrize("url", ["/clients/?q=ridge", "/billing/payments?q=ridge"])
def test_the_search_is_served_by_the_name_index(client, demo_firm, url):
    statements = statements_of(client, url)
    page = next(s for s in statements if "ORDER BY" in s[0] and "LIMIT" in s[0])
    if db.engine.dialect.name == "sqlite":
        plan = plan_of(*page)
        assert "VIRTUAL TABLE INDEX" in plan and "client_account_name_search" in plan, plan
    else:
        # At 5,000 clients PostgreSQL still prefers to read the firm's names whole (at the 25,000
        # of 100,000 payments it opens the index): check that the index serves the predicate.
        assert "display_name ILIKE" in page[0], page
        predicate = "SELECT id FROM client_account WHERE display_name ILIKE '%%ridge%%'"
        plan = plan_of(predicate, {}, without_table_scans=True)
        assert "ix_client_account_name_trgm" in plan, plan


def test_the_clients_page_sums_open_balances_of_the_rows_shown_only(
    client, make, user, small_pages
):
    for n in range(5):
        make.invoice(make.client(user.firm, display_name=f"Client {n}"), "10.00")
    db.session.commit()
    statements = statements_of(client, "/clients/")
    sums = [(s, p) for s, p in statements if "sum(invoice.balance)" in s]
    assert len(sums) == 1
    statement, parameters = sums[0]
    assert "client_id IN" in statement
    assert len(parameters) == 3, sums  # the three clients of a page of three, not all five


def test_a_pending_row_on_another_page_does_not_arm_this_pages_poller(
    client, make, user, invoice, small_pages
):
    make.payment(invoice, "1.00", qbo_status=SyncStatus.SYNCING, received_on=date(2020, 1, 1))
    for _ in range(3):
        make.payment(invoice, "1.00")
    db.session.commit()
    assert '<div id="payments-poller"></div>' in client.get("/billing/payments").text
    assert 'id="payments-poller" hx-get=' in client.get("/billing/payments?last=1").text
