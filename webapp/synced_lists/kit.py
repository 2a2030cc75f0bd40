"""One list of rows that sync to QuickBooks, described once and served by the same views.

Clients, Invoices and Payments are each a `SyncedList`: the page (full, or only its results for
htmx), one row, the page's status poller, the row's Sync / Unsync actions and its sync-history
dialog. A new list (refunds, say) is one more description and a row template; see
`webapp/billing/payment_views.py` for a whole one.

Element ids follow the list's name: `<name>-results`, `<name>-body`, `<name>-poller`,
`<name>-filters`; rows are `<singular>-<id>`. Endpoints are `<singular>_row`, `<name>_poll`,
`<singular>_sync`, `<singular>_unsync` and `<singular>_history` on the page's blueprint.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, get_template_attribute, redirect, render_template, url_for
from flask_htmx.constants import HTMX_STOP_POLLING
from flask_login import current_user
from sqlalchemy import Select, func

from ..extensions import db
from ..htmx import is_fragment_request
from ..i18n import lazy_gettext as _l
from ..models import SyncStatus, client_name_contains, utcnow
from ..quickbooks.state import SyncAction
from ..row_urls import row_url
from ..scoping import firm_select, get_or_404
from .news import news_marker, news_view
from .paging import SeekOrder, seek_page
from .query_args import ChoiceFilter, filter_args, parse_watch, search_term
from .responses import created_row_response, oob_row, start_sync_action, sync_history


@dataclass(frozen=True)
class Column:
    """A column heading of the table; `css` is "num" for amounts, "qbo-cell" for QuickBooks."""

    label: str
    css: str = ""


def _no_row_context(records: list) -> dict:
    return {}


@dataclass
class SyncedList:
    name: str  # plural, as in the element ids and the "No invoices match" line
    singular: str  # as in the row ids, the URL's `<singular>_id` and the endpoints
    model: type
    endpoint: str  # the page's endpoint, e.g. "billing.payments"
    select: Callable[[], Select]  # the firm's rows with everything a row shows, in one query
    sort: tuple  # the sort key, ending with the id so that no two rows tie
    descending: bool  # newest first, for lists sorted by date
    client_id: object  # the row's client: the Search box matches the client's name
    columns: tuple[Column, ...]
    row_template: str  # renders `record` as one <tr>
    new_label: str
    new_endpoint: str
    empty_text: str
    history_title: Callable[[object], str]
    filters: tuple[ChoiceFilter, ...] = ()
    no_match_text: str = ""  # "No invoices match these filters."
    title: str = ""  # the <title>; the name, capitalised, unless given
    heading: str = ""  # the <h1>; the title unless given
    path: str | None = None  # the page's URL on its blueprint; "/<name>" unless given
    actions: tuple[SyncAction, ...] = (SyncAction.SYNC, SyncAction.UNSYNC)
    search_placeholder: str = _l("Client name")
    tabs_template: str | None = None
    history_template: str | None = None  # more of the history dialog, e.g. a payment's refunds
    # Values some rows need beyond the record, computed once for all rows shown.
    row_context: Callable[[list], dict] = field(default=_no_row_context)

    def __post_init__(self):
        self.order = SeekOrder(self.model, self.sort, self.descending)
        self.title = self.title or self.name.capitalize()
        self.heading = self.heading or self.title
        self.path = f"/{self.name}" if self.path is None else self.path

    # Registration ------------------------------------------------------------------------------

    def register(self, bp: Blueprint) -> None:
        """Add the list's views to its blueprint (the page itself under `endpoint`)."""
        one = f"{self.path}/<int:record_id>"
        bp.add_url_rule(self.path or "/", self.endpoint.split(".")[1], self.page_view)
        bp.add_url_rule(f"{one}/row", f"{self.singular}_row", self.row_view)
        bp.add_url_rule(f"{self.path}/poll", f"{self.name}_poll", self.poll_view)
        bp.add_url_rule(f"{self.path}/news", f"{self.name}_news", lambda: news_view(self))
        for action in self.actions:
            bp.add_url_rule(
                f"{one}/{action}",
                f"{self.singular}_{action}",
                self._action_view(action),
                methods=["POST"],
            )
        bp.add_url_rule(f"{one}/history", f"{self.singular}_history", self.history_view)

    def url(self, what: str, record=None) -> str:
        """The URL of one of the list's views ("row", "sync", "history", ...) for `record`."""
        blueprint = self.endpoint.split(".")[0]
        if what in ("poll", "news"):
            return url_for(f"{blueprint}.{self.name}_{what}")
        return row_url(f"{blueprint}.{self.singular}_{what}", record_id=record.id)

    # Views ---------------------------------------------------------------------------------------

    def page_view(self):
        """The list page, or only its results (and the poller) when htmx asks for them."""
        query = self._filtered(self.select())
        # Every filter is on the row itself (the search too, through its client_id), so the
        # count reads one index and joins nothing.
        ids = self._filtered(firm_select(self.model).with_only_columns(self.model.id))
        page = seek_page(query, ids, self.order)
        context = dict(
            kit=self,
            page=page,
            failed_total=self.failed_total(),
            args=filter_args("q", *(choice.name for choice in self.filters)),
            q=search_term(),
            selected={choice.name: choice.selected() for choice in self.filters},
            tab=self.name,
            news=news_marker(self, page),
            **self.row_context(page.items),
        )
        if is_fragment_request(f"{self.name}-results"):
            results = render_template("synced_lists/_results.html", **context)
            return results + self.render_poller(page.any_pending)
        return render_template("synced_lists/page.html", **context)

    def row_view(self, record_id: int):
        """One row (after a cancelled dialog, or to refresh it)."""
        record = get_or_404(self.model, record_id)
        if not is_fragment_request():
            return redirect(url_for(self.endpoint))
        return self.render_row(record)

    def poll_view(self):
        """Out-of-band rows for the watched rows whose status (or retry time) changed.

        204 nothing changed (keep polling); 200 some changed and some are still pending;
        286 nothing is pending any more (the rows are still swapped in, then polling stops).
        """
        if not is_fragment_request():
            return redirect(url_for(self.endpoint))
        watched = parse_watch()
        records = (
            list(db.session.execute(self.select().where(self.model.id.in_(watched))).scalars())
            if watched
            else []
        )
        changed = [record for record in records if record.qbo_watch_state != watched[record.id]]
        pending = any(record.qbo_pending for record in records)
        if not changed:
            return ("", 204) if pending else ("", HTMX_STOP_POLLING)
        context = self.row_context(changed)
        body = "".join(oob_row(self.render_row(r, oob=True, context=context)) for r in changed)
        return body, 200 if pending else HTMX_STOP_POLLING

    def _action_view(self, action: str):
        def start(record_id: int):
            record = get_or_404(self.model, record_id)
            return start_sync_action(
                record, action, self.render_row, self.render_poller, url_for(self.endpoint)
            )

        start.__name__ = f"{self.singular}_{action}"
        start.__doc__ = f"Start the {action} of one {self.singular}; its row, then the poller."
        return start

    def history_view(self, record_id: int):
        """The row's sync-history dialog."""
        record = get_or_404(self.model, record_id)
        extra = {self.singular: record}
        return sync_history(record, self.history_title(record), self.history_template, **extra)

    # Pieces the family's own views use -----------------------------------------------------------

    def render_row(self, record, oob=False, added=False, context: dict | None = None) -> str:
        context = self.row_context([record]) if context is None else context
        html = render_template(
            self.row_template, kit=self, record=record, oob=oob, added=added, **context
        )
        return html.strip()  # the <tr> must come first in action responses

    def render_poller(self, active=True, oob=True) -> str:
        # str(): the macro returns Markup, and str + Markup would escape the str.
        return str(get_template_attribute("macros/lists.html", "poller")(self, active, oob))

    def created_response(self, record, message: str, level="success", rearm_poller=True):
        """A new row for the top of the table, the dialog closed and a toast."""
        extra = self.render_poller() if rearm_poller else ""
        # The page's news must not bring this row a second time.
        marker = {"after": record.id, "since": f"{utcnow().timestamp():.3f}"}
        extra += render_template("synced_lists/_news.html", kit=self, marker=marker, oob=True)
        row_html = self.render_row(record, added=True)
        return created_row_response(row_html, f"{self.name}-body", message, extra, level)

    def matching_ids(self) -> Select:
        """The ids of every row of the firm that the current search and filters match."""
        return self._filtered(firm_select(self.model).with_only_columns(self.model.id))

    def failed_total(self) -> int:
        """How many of the firm's rows are Failed ("Retry all failed" is offered when any are)."""
        failed = firm_select(self.model).with_only_columns(func.count(self.model.id))
        return db.session.scalar(failed.where(self.model.qbo_status == SyncStatus.FAILED))

    def _filtered(self, query: Select) -> Select:
        for choice in self.filters:
            query = choice.apply(query)
        if q := search_term():
            dialect = db.session.get_bind().dialect.name
            query = query.where(
                client_name_contains(self.client_id, current_user.firm_id, q, dialect)
            )
        return query
