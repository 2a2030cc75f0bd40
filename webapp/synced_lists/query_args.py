"""What a list page reads from the query string: the search, its filters and the poller's watch list.

Malformed values are ignored (the filter is simply not applied), never an error.
"""

from dataclasses import dataclass

from flask import request
from flask_babel import LazyString
from sqlalchemy import Select

from ..models import SyncStatus
from ..scoping import row_id

MAX_WATCHED = 500  # a page shows 50 rows; anything beyond this is not our page's poller
MAX_SEARCH = 100
_STATUS_VALUES = {status.value for status in SyncStatus}


def search_term() -> str:
    # NUL cannot be typed, and PostgreSQL refuses it in a text parameter.
    return (request.args.get("q") or "").replace("\x00", "").strip()[:MAX_SEARCH]


@dataclass(frozen=True)
class ChoiceFilter:
    """One <select> of a list's filter form and the column it narrows.

    `options` pairs each query-string value with the label shown and the value the column holds.
    """

    name: str
    label: str
    any_label: str
    column: object
    options: tuple[tuple[str, str, object], ...]

    @classmethod
    def of_enum(cls, name: str, label: str, any_label: str, column, enum_cls) -> "ChoiceFilter":
        # The label is read when the page is drawn, in the user's language.
        options = tuple(
            (member.value, LazyString(lambda m=member: m.label), member) for member in enum_cls
        )
        return cls(name, label, any_label, column, options)

    def selected(self) -> str | None:
        """The query-string value, or None when absent or not one of the options."""
        value = request.args.get(self.name)
        return value if any(value == option[0] for option in self.options) else None

    def apply(self, query: Select) -> Select:
        value = self.selected()
        if value is None:
            return query
        held = next(option[2] for option in self.options if option[0] == value)
        return query.where(self.column.is_(held) if isinstance(held, bool) else self.column == held)


def filter_args(*names: str) -> dict:
    """The filters currently applied, to keep them in pager links."""
    return {name: request.args[name] for name in names if request.args.get(name)}


def parse_watch() -> dict[int, str]:
    """Read `watch=<id>:<state>` values; malformed ones are ignored, not errors.

    The state is the row's qbo_watch_state: its status, `@<epoch>` while it waits to retry, and
    `/<status>` for each refund on a payment's row.
    """
    watched: dict[int, str] = {}
    for value in request.args.getlist("watch")[:MAX_WATCHED]:
        raw_id, _, state = value.partition(":")
        watched_id = row_id(raw_id)
        if watched_id is not None and _valid_state(state):
            watched[watched_id] = state
    return watched


def _valid_state(state: str) -> bool:
    if len(state) > 400:
        return False
    statuses, at, retry = state.partition("@")
    if at and not (retry.isdigit() and len(retry) <= 12):
        return False
    return all(status in _STATUS_VALUES for status in statuses.split("/"))
