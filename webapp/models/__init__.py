"""All models, importable from one place: `from webapp.models import Payment`."""

from .billing import (
    ClientAccount,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Refund,
)
from .bulk import BulkRun, BulkRunItem, BulkScope, ItemState
from .client_search import autogenerate_include_name, client_name_contains
from .firm import Firm, QboAccount, QboCallCount, QboConnection, QboWebhookEvent, Role, User
from .sync import (
    PENDING_STATUSES,
    SYNCABLE_STATUSES,
    RemoteState,
    SyncedRecordMixin,
    SyncEvent,
    SyncReason,
    SyncStatus,
)
from .types import ZERO, utcnow

SYNCED_MODELS = {m.RECORD_TYPE: m for m in (ClientAccount, Invoice, Payment, Refund)}

__all__ = [
    "BulkRun",
    "BulkRunItem",
    "BulkScope",
    "ClientAccount",
    "Firm",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "ItemState",
    "PENDING_STATUSES",
    "Payment",
    "PaymentMethod",
    "PaymentSource",
    "QboAccount",
    "QboCallCount",
    "QboConnection",
    "QboWebhookEvent",
    "Refund",
    "RemoteState",
    "Role",
    "SYNCABLE_STATUSES",
    "SYNCED_MODELS",
    "SyncEvent",
    "SyncReason",
    "SyncStatus",
    "SyncedRecordMixin",
    "User",
    "ZERO",
    "autogenerate_include_name",
    "client_name_contains",
    "utcnow",
]
