"""Ledgerbridge's totals against QuickBooks' for a period, per client, from the local copy.

QuickBooks' side is what the rows know of their QBO objects (kept fresh by webhooks and CDC):
a row not in QuickBooks counts nothing there, a row changed there counts QuickBooks' amount,
a row deleted or voided there counts nothing. So the page costs no call to QuickBooks.

A firm of 100,000 payments has 25,000 clients, so the page shows 50 clients at a time (seek
paging, as the lists), and what it reads does not grow with the firm: the rows that are plainly
in QuickBooks (Synced, nothing flagged) are summed by the database, per client of the page; only
the others, each one a mismatch to list, are read one by one, and at most MISMATCHES_SHOWN of
them are listed per client. (Reading every row of the period into Python took 60 s and 87 MB of
HTML at 100,000 payments.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import amount, day, translated
from ..i18n import lazy_gettext as _l
from ..models import ZERO, ClientAccount, Invoice, Payment, Refund, SyncStatus, client_name_contains
from ..synced_lists.paging import Page, SeekOrder, seek_page

KINDS = ("invoices", "payments", "refunds", "open_balance")
CENT = Decimal("0.01")
MISMATCHES_SHOWN = 25  # listed per client; the count says how many there are
LABELS = {
    "invoices": _l("Invoices"),
    "payments": _l("Payments"),
    "refunds": _l("Refunds"),
    "open_balance": _l("Open balance"),
}


@dataclass
class Mismatch:
    kind: str  # "invoice", "payment", "refund"
    record: object
    what: str  # e.g. "INV-01045" or "Payment of 450.00 on 2026-09-03"
    ours: Decimal
    theirs: Decimal | None  # None: not in QuickBooks
    reason: str


@dataclass
class ClientTotals:
    client: ClientAccount
    ours: dict = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))
    theirs: dict = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))
    mismatches: list[Mismatch] = field(default_factory=list)  # the first MISMATCHES_SHOWN
    mismatch_count: int = 0

    def add_mismatch(self, mismatch: Mismatch) -> None:
        self.mismatch_count += 1
        if len(self.mismatches) < MISMATCHES_SHOWN:
            self.mismatches.append(mismatch)

    def differs(self, kind: str) -> bool:
        return self.ours[kind] != self.theirs[kind]


def _theirs_amount(record, ours: Decimal, field_name: str) -> tuple[Decimal | None, str]:
    """What QuickBooks holds for the row's amount, and why it differs (empty if it does not)."""
    state = record.qbo_remote_state
    if state is not None and state.value in ("deleted", "voided", "merged"):
        return None, state.label
    if record.qbo_status is not SyncStatus.SYNCED:
        reason = _("Not in QuickBooks (%(status)s)", status=record.qbo_status.label)
        if record.qbo_message:
            reason = f"{reason}: {translated(record.qbo_message)}"
        return None, reason
    for difference in record.qbo_remote_diff or []:
        if difference["field"] == field_name:
            theirs = Decimal(difference["theirs"].replace(",", ""))
            return theirs, _("Changed in QuickBooks")
    if state is not None:
        labels = ", ".join(translated(d["label"]) for d in record.qbo_remote_diff or [])
        if labels:
            return ours, _("Changed in QuickBooks (%(fields)s)", fields=labels)
        return ours, state.label
    return ours, ""


@dataclass
class Report:
    """One page of clients with their totals, and the page for the pager."""

    rows: list[ClientTotals]
    page: Page


@dataclass(frozen=True)
class Period:
    firm_id: int
    start: date
    end: date


def _plain(model):
    """In QuickBooks as it is here: Synced, and nothing flagged from QuickBooks' side."""
    return and_(model.qbo_status == SyncStatus.SYNCED, model.qbo_remote_state.is_(None))


def _balance_differs():
    return Invoice.qbo_balance.is_not(None) & (Invoice.qbo_balance != Invoice.balance)


def _rows_in_period(period: Period, client_ids, *, mismatched_only: bool = False):
    """(model, its client column, its date column, query) for the invoices, payments and
    refunds of `client_ids` dated in the period, in that order. `client_ids` is a list of ids,
    or a column the queries are correlated with; `mismatched_only` keeps the rows that are not
    plainly in QuickBooks (and invoices whose open balance differs there)."""
    queries = (
        (Invoice, Invoice.client_id, Invoice.issue_date),
        (Payment, Payment.client_id, Payment.received_on),
        (Refund, Payment.client_id, Refund.refunded_on),  # a refund's client is its payment's
    )
    for model, client_column, day_column in queries:
        query = select(model).where(
            model.firm_id == period.firm_id, day_column.between(period.start, period.end)
        )
        if model is Refund:
            query = query.join(Payment, Refund.payment_id == Payment.id)
        if isinstance(client_ids, list):
            query = query.where(client_column.in_(client_ids))
        else:
            query = query.where(client_column == client_ids)
        if mismatched_only:
            unsettled = ~_plain(model)
            query = query.where(
                or_(unsettled, _balance_differs()) if model is Invoice else unsettled
            )
        yield model, client_column, day_column, query


CLIENT_ORDER = SeekOrder(
    ClientAccount, (func.lower(ClientAccount.display_name), ClientAccount.id), False
)


def page_of_clients(
    period: Period,
    search: str = "",
    mismatched_only: bool = False,
    dialect: str = "sqlite",
) -> Page:
    """The page the request asks for of the clients with any row in the period (or any
    mismatch), by name: seek paging, as the lists page (synced_lists/paging.py)."""
    where = [ClientAccount.firm_id == period.firm_id]
    if search:
        where.append(client_name_contains(ClientAccount.id, period.firm_id, search, dialect))
    has_rows = [
        exists(rows.with_only_columns(model.id))
        for model, _client, _day, rows in _rows_in_period(
            period, ClientAccount.id, mismatched_only=mismatched_only
        )
    ]
    where.append(or_(*has_rows))
    return seek_page(
        select(ClientAccount).where(*where), select(ClientAccount.id).where(*where), CLIENT_ORDER
    )


def reconcile(
    firm_id: int,
    start: date,
    end: date,
    *,
    search: str = "",
    mismatched_only: bool = False,
    dialect: str = "sqlite",
) -> Report:
    """Totals per client for rows dated within [start, end], with their mismatches, for the
    page of clients (by name) the request asks for."""
    period = Period(firm_id, start, end)
    page = page_of_clients(period, search, mismatched_only, dialect)
    totals = {client.id: ClientTotals(client) for client in page.items}
    ids = list(totals)
    if ids:
        _add_plain_sums(period, ids, totals)
        _add_the_others(period, ids, totals)
    return Report(list(totals.values()), page)


def _add_plain_sums(period: Period, ids: list[int], totals: dict[int, ClientTotals]) -> None:
    """Every row's amount on our side, and the plain rows' on QuickBooks' side, summed by the
    database per client."""
    sums = {"invoices": Invoice.total, "payments": Payment.amount, "refunds": Refund.amount}
    for (model, client_column, _day, rows), kind in zip(
        _rows_in_period(period, ids), sums, strict=True
    ):
        plain = _plain(model)
        columns = [
            client_column,
            func.sum(sums[kind]),
            func.sum(case((plain, sums[kind]), else_=ZERO)),
        ]
        if model is Invoice:
            their_balance = func.coalesce(Invoice.qbo_balance, Invoice.balance)
            columns += [
                func.sum(Invoice.balance),
                func.sum(case((plain, their_balance), else_=ZERO)),
            ]
        for client_id, ours, theirs, *balances in db.session.execute(
            rows.with_only_columns(*columns).group_by(client_column)
        ):
            row = totals[client_id]
            row.ours[kind] += _cents(ours)
            row.theirs[kind] += _cents(theirs)
            if balances:
                row.ours["open_balance"] += _cents(balances[0])
                row.theirs["open_balance"] += _cents(balances[1])


def _cents(total) -> Decimal:
    """A database sum as money (SQLite may hand back a float)."""
    return Decimal(str(total or 0)).quantize(CENT)


def _add_the_others(period: Period, ids: list[int], totals: dict[int, ClientTotals]) -> None:
    """The rows that are not plainly in QuickBooks: what QuickBooks holds for each, and why."""
    # Sorted here, not by ORDER BY: SQLite would then walk the firm's date index over the whole
    # period (140 ms) instead of reading the page's clients' rows by client (6 ms).
    invoices, payments, refunds = (
        query for _model, _client, _day, query in _rows_in_period(period, ids, mismatched_only=True)
    )
    payments = payments.options(joinedload(Payment.invoice))
    refunds = refunds.options(joinedload(Refund.payment))
    by_date = {
        "invoice": lambda invoice: (invoice.issue_date, invoice.id),
        "payment": lambda payment: (payment.received_on, payment.id),
        "refund": lambda refund: (refund.refunded_on, refund.id),
    }
    for invoice in sorted(db.session.scalars(invoices), key=by_date["invoice"]):
        row = totals[invoice.client_id]
        theirs, reason = _theirs_amount(invoice, invoice.total, "total")
        if invoice.qbo_status is SyncStatus.SYNCED and invoice.qbo_remote_state is None:
            theirs = None  # plain, already summed: only its open balance differs
        else:
            row.theirs["invoices"] += theirs or ZERO
            if theirs is not None:
                row.theirs["open_balance"] += (
                    invoice.qbo_balance if invoice.qbo_balance is not None else invoice.balance
                )
        if reason:
            row.add_mismatch(
                Mismatch("invoice", invoice, invoice.number, invoice.total, theirs, reason)
            )
        else:
            row.add_mismatch(
                Mismatch(
                    "invoice",
                    invoice,
                    _("%(number)s open balance", number=invoice.number),
                    invoice.balance,
                    invoice.qbo_balance,
                    _("Open balance differs in QuickBooks"),
                )
            )
    moves = (
        (payments, "payment", lambda payment: payment.client_id, _payment_words),
        (refunds, "refund", lambda refund: refund.payment.client_id, _refund_words),
    )
    for query, kind, client_of, words in moves:
        for record in sorted(db.session.scalars(query).unique(), key=by_date[kind]):
            row = totals[client_of(record)]
            theirs, reason = _theirs_amount(record, record.amount, "amount")
            row.theirs[f"{kind}s"] += theirs or ZERO
            row.add_mismatch(Mismatch(kind, record, words(record), record.amount, theirs, reason))


def _payment_words(payment: Payment) -> str:
    return _(
        "Payment of %(amount)s on %(date)s for %(number)s",
        amount=amount(payment.amount),
        date=day(payment.received_on),
        number=payment.invoice.number,
    )


def _refund_words(refund: Refund) -> str:
    return _(
        "Refund of %(amount)s on %(date)s",
        amount=amount(refund.amount),
        date=day(refund.refunded_on),
    )
