"""Edit client in a real browser: the row menu's dialog saves, and the row changes in place."""

from playwright.sync_api import Page, expect

from webapp.extensions import db
from webapp.models import ClientAccount


def test_renaming_a_client_changes_its_row_without_a_reload(
    signed_in: Page, live_server, billing_data
):
    page = signed_in
    page.goto("/clients/")
    page.evaluate("window.__noReload = true")
    row = page.locator("#clients-body tr").filter(has_text=billing_data.client)

    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="Edit client").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Edit client")).to_be_visible()
    expect(dialog.get_by_label("Display name")).to_have_value(billing_data.client)
    dialog.get_by_label("Display name").fill("Acme Dental Group")
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    renamed = page.locator("#clients-body tr").filter(has_text="Acme Dental Group")
    expect(renamed).to_have_count(1)
    expect(page.locator("#clients-body tr").filter(has_text=billing_data.client)).to_have_count(0)
    expect(
        page.get_by_role("status").filter(has_text="Client Acme Dental Group saved.")
    ).to_be_visible()
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
    with live_server.app.app_context():
        names = db.session.execute(db.select(ClientAccount.display_name)).scalars().all()
    assert "Acme Dental Group" in names and billing_data.client not in names
