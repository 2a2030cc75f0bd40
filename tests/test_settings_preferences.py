"""Settings save one way: every control saves when it changes and says so in a toast."""

import json
import re

from webapp.extensions import db
from webapp.models import Role

HTMX = {"HX-Request": "true"}


def test_every_settings_form_saves_on_change(client, user):
    for url in ("/settings/integrations/quickbooks", "/settings/preferences"):
        page = client.get(url).text
        forms = re.findall(r"<form[^>]*hx-post=[^>]*>", page)
        assert forms, url
        assert all(re.search(r'hx-trigger="change[",]', form) for form in forms), url
    # The one Save button is the one the help article names ("Deposit to" account, "click
    # Save"): it sends the same form the same way, so it ends in the same toast.
    page = client.get("/settings/integrations/quickbooks").text
    assert page.count(">Save</button>") == 1
    deposit = re.search(r'<form[^>]*id="qbo-deposit-form"[^>]*>', page).group(0)
    assert 'hx-trigger="change, submit"' in deposit


def test_the_firms_time_zone_saves_with_a_toast(client, user):
    response = client.post(
        "/settings/preferences/time-zone", data={"time_zone": "Europe/Amsterdam"}, headers=HTMX
    )
    assert response.status_code == 200
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast == {"message": "Times are now shown in Europe/Amsterdam.", "level": "success"}
    assert '<option selected value="Europe/Amsterdam">' in response.text
    db.session.refresh(user.firm)
    assert user.firm.time_zone == "Europe/Amsterdam"


def test_an_unknown_time_zone_is_refused_beside_the_field(client, user):
    response = client.post(
        "/settings/preferences/time-zone", data={"time_zone": "Mars/Olympus"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "Pick one of the time zones in the list." in response.text
    db.session.refresh(user.firm)
    assert user.firm.time_zone == "UTC"


def test_staff_see_the_time_zone_but_cannot_change_it(client, make, auth):
    staff = make.user(role=Role.STAFF)
    db.session.commit()
    auth.login(staff)
    page = client.get("/settings/preferences").text
    assert re.search(r'<section id="pref-time-zone".*?<fieldset disabled>', page, re.S)
    response = client.post("/settings/preferences/time-zone", data={"time_zone": "UTC"})
    assert response.status_code == 403


def test_anyone_chooses_their_own_language_and_the_page_reloads_in_it(client, make, auth):
    staff = make.user(role=Role.STAFF)
    db.session.commit()
    auth.login(staff)
    response = client.post("/settings/preferences/language", data={"locale": "nl"}, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"
    db.session.refresh(staff)
    assert staff.locale == "nl"
    client.post("/settings/preferences/language", data={"locale": ""}, headers=HTMX)
    db.session.refresh(staff)
    assert staff.locale is None  # back to the browser's language
    bad = client.post("/settings/preferences/language", data={"locale": "xx"}, headers=HTMX)
    assert bad.status_code == 422
