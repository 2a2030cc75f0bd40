"""Every page works under the enforced Content-Security-Policy: nothing is refused, and htmx
(with eval off) still swaps forms into the dialog and lines into a new invoice."""

from playwright.sync_api import Page, expect

# Collects the browser's own reports of what the policy refused, from the first byte of each page.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
PAGES = [
    "/billing/invoices",
    "/billing/payments",
    "/clients/",
    "/settings/integrations/quickbooks",
    "/account/password",
    "/no-such-page",
]


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_no_page_breaks_the_content_security_policy(signed_in: Page, live_server):
    page = signed_in
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    for path in PAGES:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path
    assert not [text for text in console if "Content Security Policy" in text]


def test_htmx_dialogs_and_invoice_lines_work_with_eval_off(signed_in: Page):
    page = signed_in
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/billing/invoices")
    page.get_by_role("button", name="New invoice").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="New invoice")).to_be_visible()
    lines = dialog.locator("input[name$='-description']")
    expect(lines).to_have_count(1)
    dialog.get_by_role("button", name="Add line").click()
    expect(lines).to_have_count(2)
    assert violations(page) == []
