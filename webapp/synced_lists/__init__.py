"""The kit every list of QuickBooks-synced rows is built from (Clients, Invoices, Payments)."""

from .kit import Column, SyncedList
from .query_args import ChoiceFilter
from .responses import oob_row

__all__ = ["ChoiceFilter", "Column", "SyncedList", "oob_row"]
