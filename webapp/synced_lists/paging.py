"""Pages of rows: 50 at a time, with what the pager macro needs."""

import math
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import Select, func

from ..extensions import db


@dataclass
class Page:
    """One page of rows with what ui.hx_pager() needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def any_pending(self) -> bool:
        return any(not record.qbo_status.is_final for record in self.items)


def paginate(query: Select, count_query: Select) -> Page:
    """Run one page of `query` (50 rows by default); `count_query` selects the ids it filters."""
    per_page = current_app.config["PAGE_SIZE"]
    total = db.session.execute(
        db.select(func.count()).select_from(count_query.order_by(None).subquery())
    ).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return Page(list(result.unique().scalars()), page=page, per_page=per_page, total=total)
