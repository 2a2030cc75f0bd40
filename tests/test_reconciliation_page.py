"""The Reconciliation page at a firm's size: totals summed by the database, a page of clients at
a time, the mismatches of each listed (up to a cap), and filters for what needs looking at."""

import re
from datetime import date

from webapp.extensions import db
from webapp.models import RemoteState, SyncStatus

PERIOD = "start=2026-01-01&end=2026-12-31"
SYNCED = {"qbo_status": SyncStatus.SYNCED, "qbo_id": "1", "qbo_realm_id": "9130"}


def totals_row(page: str, client) -> list[str]:
    """The eight amounts of the client's totals row: (ours, theirs) for each kind."""
    row = re.search(rf'<tr id="recon-client-{client.id}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<span class="money">([^<]+)</span>', row)


def test_totals_count_quickbooks_side_from_what_each_row_knows(client, user, make):
    harbor = make.client(user.firm, display_name="Harbor Dental", **SYNCED)
    in_qbo = make.invoice(harbor, "1000.00", **SYNCED)
    make.payment(in_qbo, "400.00", **SYNCED)  # plainly in QuickBooks: summed by the database
    changed = make.payment(in_qbo, "100.00", **SYNCED, qbo_remote_state=RemoteState.CHANGED)
    changed.qbo_remote_diff = [
        {"field": "amount", "label": "Amount", "ours": "100.00", "theirs": "90.00"}
    ]
    make.payment(in_qbo, "50.00")  # not in QuickBooks: nothing there
    in_qbo.qbo_balance = in_qbo.balance + 10  # QuickBooks' open balance says 460.00
    gone = make.invoice(harbor, "200.00", **SYNCED, qbo_remote_state=RemoteState.DELETED)
    make.refund(changed, "20.00", **SYNCED)
    db.session.commit()

    page = client.get(f"/reconciliation/?{PERIOD}").text

    # invoices, payments, refunds, open balance: Ledgerbridge then QuickBooks
    assert totals_row(page, harbor) == [
        "1,200.00", "1,000.00",
        "550.00", "490.00",
        "20.00", "20.00",
        f"{450 + 200:,}.00", "460.00",
    ]  # fmt: skip
    assert "4 mismatches" in page
    for why in ("Changed in QuickBooks", "Not in QuickBooks", "Deleted in QuickBooks"):
        assert why in page
    assert "INV-" in page and "open balance" in page
    assert gone.number in page


def test_a_page_holds_fifty_clients_by_name_and_the_pager_swaps_the_results(client, user, make):
    for n in range(53):
        make.invoice(make.client(user.firm, display_name=f"Client {n:02d}"), "10.00")
    make.client(user.firm, display_name="Client without rows")
    db.session.commit()

    first = client.get(f"/reconciliation/?{PERIOD}&q=client").text
    assert first.count('<tr id="recon-client-') == 50
    assert "Client 00" in first and "Client 49" in first and "Client 50" not in first
    assert "Page 1 of 2 · 53 rows" in first
    assert 'rel="prev"' not in first
    next_url = re.search(r'<a href="([^"]+)" hx-get="[^"]+"[^>]*rel="next"', first).group(1)
    assert "q=client" in next_url and "start=2026-01-01" in next_url  # the filters go along

    htmx = {"HX-Request": "true", "HX-Target": "recon-results"}
    second = client.get(next_url.replace("&amp;", "&"), headers=htmx).text
    assert '<div id="recon-results">' in second
    assert "<html" not in second  # the results alone
    assert second.count('<tr id="recon-client-') == 3
    assert "Client 52" in second and "without rows" not in second
    assert "Page 2 of 2" in second and 'rel="next"' not in second and 'rel="prev"' in second


def test_a_client_with_many_mismatches_lists_the_first_and_counts_them_all(client, user, make):
    busy = make.client(user.firm, display_name="Busy Bakery")
    for day in range(1, 31):
        make.payment(make.invoice(busy, "10.00", issue_date=date(2026, 6, day)))
    db.session.commit()

    page = client.get(f"/reconciliation/?{PERIOD}").text

    assert "60 mismatches" in page  # 30 invoices and their 30 payments, none in QuickBooks
    assert page.count("Not in QuickBooks") == 25
    assert "The first 25 are listed." in page
    assert "/billing/payments?q=Busy+Bakery" in page


def test_filters_narrow_to_a_name_and_to_clients_with_mismatches(client, user, make):
    tidy = make.client(user.firm, display_name="Tidy Tax LLC", **SYNCED)
    make.payment(make.invoice(tidy, "80.00", **SYNCED), **SYNCED)
    messy = make.client(user.firm, display_name="Messy Media LLC")
    make.invoice(messy, "70.00")
    db.session.commit()

    mismatched = client.get(f"/reconciliation/?{PERIOD}&mismatches=1").text
    assert "Messy Media" in mismatched and "Tidy Tax" not in mismatched
    named = client.get(f"/reconciliation/?{PERIOD}&q=tidy").text
    assert "Tidy Tax" in named and "Messy Media" not in named
    assert 'value="tidy"' in named
    nobody = client.get(f"/reconciliation/?{PERIOD}&q=tidy&mismatches=1").text
    assert "No client matches these filters in this period." in nobody
    for hostile in ("after=-1", "before=99999999999999999999", "client_id=99999999999999", "q=%00"):
        assert client.get(f"/reconciliation/?{PERIOD}&{hostile}").status_code == 200
