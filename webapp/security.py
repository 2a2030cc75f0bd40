"""Response headers every page, fragment, error and static file carries, and request size limits."""

from flask import Flask, Response, current_app, request
from flask_login import current_user

# Scripts and styles come from static/ only: no inline <script>, no hx-on, no htmx trigger
# filters (htmx would eval them), no style attributes. Pico's icons are data: SVGs in its CSS.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
WEBHOOK_ENDPOINT = "quickbooks.webhook"


def init_security(app: Flask) -> None:
    app.before_request(limit_webhook_body)
    app.after_request(add_security_headers)


def limit_webhook_body() -> None:
    # Intuit's deliveries are small JSON documents; the rest of the app takes MAX_CONTENT_LENGTH.
    if request.endpoint == WEBHOOK_ENDPOINT:
        request.max_content_length = current_app.config["WEBHOOK_MAX_CONTENT_LENGTH"]


def add_security_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    csp_header = (
        "Content-Security-Policy"
        if config["CONTENT_SECURITY_POLICY_ENFORCED"]
        else "Content-Security-Policy-Report-Only"
    )
    headers.setdefault(csp_header, CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if config["SESSION_COOKIE_SECURE"]:
        # Served over HTTPS only (behind the TLS proxy): browsers must never try plain HTTP.
        headers.setdefault("Strict-Transport-Security", f"max-age={config['HSTS_MAX_AGE']}")
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        # A signed-in page holds a firm's figures: no copy in the browser's or a proxy's cache,
        # so Back after Sign out, or the next user of the computer, does not show it.
        headers["Cache-Control"] = "no-store"
    return response
