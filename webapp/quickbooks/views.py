"""The one page QuickBooks itself calls: the webhook endpoint Intuit delivers changes to.

Its URL stays under /settings/integrations/quickbooks/ because that is the address registered in
the Intuit developer portal (and given to the emulator); moving it would silently stop deliveries.
Intuit signs each delivery instead of logging in, so the endpoint is public and CSRF-exempt.
"""

from flask import Blueprint, request

from ..extensions import csrf
from .webhooks import accept_webhook

bp = Blueprint("quickbooks", __name__)


@bp.post("/settings/integrations/quickbooks/webhook")
@csrf.exempt
def webhook():
    """Accept an Intuit webhook: verify intuit-signature, store the events, answer at once."""
    return accept_webhook(request.get_data(), request.headers.get("intuit-signature", ""))
