"""English and Dutch: every message translated, the user's choice over the browser's, and dates,
numbers and money per language. QuickBooks' own words stay as QuickBooks wrote them."""

from webapp.extensions import db
from webapp.i18n_catalog import problems
from webapp.models import SyncStatus

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"}


def test_no_message_is_left_untranslated_and_the_catalogue_is_compiled():
    assert problems() == []


def test_the_browsers_language_is_the_default(client, make, user, invoice):
    payment = make.payment(invoice, "1234.50")
    db.session.commit()
    english = client.get("/billing/payments").text
    assert "<h1>Payments</h1>" in english and "Not synced" in english
    assert "1,234.50" in english and "Nov 20, 2026" in english
    dutch = client.get("/billing/payments", headers=DUTCH).text
    assert '<html lang="nl"' in dutch
    assert "<h1>Betalingen</h1>" in dutch and "Niet gesynchroniseerd" in dutch
    assert "1.234,50" in dutch and "20 nov 2026" in dutch
    assert f'<time datetime="{payment.received_on.isoformat()}">' in dutch


def test_the_users_choice_wins_over_the_browser(client, user):
    user.locale = "en"
    db.session.commit()
    assert "<h1>Payments</h1>" in client.get("/billing/payments", headers=DUTCH).text
    user.locale = "nl"
    db.session.commit()
    assert "<h1>Betalingen</h1>" in client.get("/billing/payments").text


def test_validation_messages_and_toasts_are_translated(client, user, invoice):
    hx = {**DUTCH, "HX-Request": "true"}
    response = client.post("/clients/", data={"display_name": ""}, headers=hx)
    assert response.status_code == 422 and "Vul de naam van de klant in." in response.text
    response = client.post("/clients/", data={"display_name": "Zeeman BV"}, headers=hx)
    assert "Klant Zeeman BV toegevoegd." in response.headers["HX-Trigger"]


def test_our_reasons_are_translated_and_quickbooks_words_are_not(client, make, user):
    ours = make.client(user.firm, qbo_status=SyncStatus.FAILED)
    ours.qbo_message = "Sync the client account first"
    theirs = make.client(user.firm, qbo_status=SyncStatus.FAILED)
    theirs.qbo_message = "QuickBooks refused it (code 6240): Duplicate Name Exists Error"
    db.session.commit()
    page = client.get("/clients/", headers=DUTCH).text
    assert "Synchroniseer eerst de klant" in page
    assert "Duplicate Name Exists Error" in page


def test_amounts_and_days_are_formatted_exactly_as_babel_formats_them(app):
    """The list rows' amount and day filters take a shortcut past Flask-Babel (webapp/i18n.py);
    they must still print what Babel prints, rounding included, in both languages."""
    import random
    from datetime import date, timedelta
    from decimal import Decimal

    from babel.dates import format_date
    from babel.numbers import format_decimal

    from webapp.i18n import amount, day

    pick = random.Random(20261204)
    values = [Decimal("0"), Decimal("-0.005"), Decimal("0.015"), Decimal("1234.565"), 7, 0.1]
    values += [Decimal(pick.randint(-(10**9), 10**9)) / 1000 for _ in range(300)]
    days = [date(2026, 1, 1) + timedelta(days=pick.randint(-4000, 4000)) for _ in range(60)]
    for language in ("en", "nl"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            for value in values:
                assert amount(value) == format_decimal(value, "#,##0.00", locale=language)
            for value in days:
                assert day(value) == format_date(value, "medium", locale=language)
