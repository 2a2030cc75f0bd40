"""Pages of a list by seek (keyset) pagination: what a page costs does not grow with the table.

Why not OFFSET, nor Flask-SQLAlchemy's `db.paginate` (OFFSET plus a `count(*)`): OFFSET reads and
drops every row before the page and `count(*)` reads every row that matches, so at 100,000
payments the Payments tab's last page took 932 ms on SQLite and 924 ms on PostgreSQL that way,
for 50 rows shown (bench/pages.py measures it; the README keeps the figures). Here a page is "the
50 rows after (or before) row X in the list's order", which an index on (firm, filter, sort key,
id) answers by reading about 50 entries, and the count stops at COUNT_LIMIT ("1,000+ rows").

Links carry the row to start from: none for the first page, `after=<id>` for the rows after that
row, `before=<id>` for the rows before it, `last=1` for the last page. While the count is exact
the pager still says "Page 2 of 7", counting at most COUNT_LIMIT rows to know where it is.
"""

import math
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, tuple_

from ..extensions import db
from ..scoping import row_id

COUNT_LIMIT = 1000


@dataclass(frozen=True)
class SeekOrder:
    """A list's order: sort key columns, the last one unique (the id), all the same direction."""

    model: type
    columns: tuple
    descending: bool

    def order_by(self, backwards=False) -> list:
        down = self.descending != backwards
        return [column.desc() if down else column.asc() for column in self.columns]

    def beyond(self, key: tuple, backwards=False):
        """Rows that come after `key` in this order (before it, `backwards`)."""
        down = self.descending != backwards
        columns = tuple_(*self.columns)
        return columns < tuple_(*key) if down else columns > tuple_(*key)

    def key_of(self, record_id: int) -> tuple | None:
        """The sort key of one of the firm's rows, or None for an id that is not one."""
        row = db.session.execute(
            db.select(*self.columns).where(
                self.model.id == record_id, self.model.firm_id == current_user.firm_id
            )
        ).first()
        return tuple(row) if row else None


@dataclass
class Page:
    """One page of rows with what ui.hx_pager() needs."""

    items: list
    total: int  # exact up to COUNT_LIMIT; beyond it, COUNT_LIMIT + 1
    per_page: int
    has_prev: bool
    has_next: bool
    number: int | None = None  # known while the total is exact

    @property
    def exact(self) -> bool:
        return self.total <= COUNT_LIMIT

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def total_label(self) -> str:
        if not self.exact:
            return _("%(count)s+ rows", count=format_number(COUNT_LIMIT))
        return ngettext(
            "%(count)s row", "%(count)s rows", self.total, count=format_number(self.total)
        )

    @property
    def prev_args(self) -> dict:
        return {"before": self.items[0].id}

    @property
    def next_args(self) -> dict:
        return {"after": self.items[-1].id}

    @property
    def any_pending(self) -> bool:
        return any(record.qbo_pending for record in self.items)


def _cursor(name: str) -> int | None:
    return row_id(request.args.get(name))


def _count(ids: Select, limit: int = COUNT_LIMIT + 1) -> int:
    """How many rows `ids` selects, reading at most `limit` of them."""
    counted = ids.order_by(None).limit(limit).subquery()
    return db.session.execute(db.select(func.count()).select_from(counted)).scalar_one()


def seek_page(query: Select, ids: Select, order: SeekOrder) -> Page:
    """The page of `query` the request asks for.

    Args:
        query: the filtered rows, with what each row shows (no order, no limit).
        ids: the same filter selecting only ids, to count.
        order: the list's order.
    """
    per_page = current_app.config["PAGE_SIZE"]
    total = _count(ids)
    after, before = _cursor("after"), _cursor("before")
    boundary = order.key_of(after or before) if after or before else None
    backwards = before is not None and boundary is not None
    size = per_page
    if request.args.get("last") == "1" and boundary is None:
        backwards = True
        # While the total is exact, the last page holds the remainder, so that stepping back
        # from it meets the same pages as stepping forward from the first.
        if 0 < total <= COUNT_LIMIT:
            size = total - (math.ceil(total / per_page) - 1) * per_page
    paged = query.add_columns(*order.columns).order_by(*order.order_by(backwards))
    if boundary is not None:
        paged = paged.where(order.beyond(boundary, backwards))
    rows = db.session.execute(paged.limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows and boundary is not None:
        return seek_page_first(query, ids, order, total, per_page)
    items = [row[0] for row in rows]
    at_start = not backwards and boundary is None
    at_end = backwards and boundary is None
    page = Page(
        items,
        total,
        per_page,
        has_prev=more if backwards else not at_start,
        has_next=more if not backwards else not at_end,
    )
    if page.exact:
        if at_start or not items:
            page.number = 1
        elif at_end:
            page.number = page.pages
        else:
            before_first = _count(ids.where(order.beyond(tuple(rows[0][1:]), backwards=True)))
            page.number = before_first // per_page + 1
    return page


def seek_page_first(query: Select, ids: Select, order: SeekOrder, total: int, per_page: int):
    """The first page, for a link whose row is gone or has nothing after it any more."""
    paged = query.order_by(*order.order_by()).limit(per_page + 1)
    items = list(db.session.execute(paged).scalars())
    return Page(
        items[:per_page],
        total,
        per_page,
        has_prev=False,
        has_next=len(items) > per_page,
        number=1 if total <= COUNT_LIMIT else None,
    )
