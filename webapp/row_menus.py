"""The three-dot "More actions" menu of a list row, built in Python for the templates.

A list page draws 50 rows, each with a menu of three to five items. Written as Jinja macros
(`row_menu` calling back into the row's template, a `menu_item` macro per item, a `sync_items`
macro in between), the menus took about 13 ms of a 35 ms Payments page at 100,000 payments.
Here each value goes through `escape()` into an f-string (`Markup.format` escapes too, but
costs four times as much); with the per-request formats of i18n.py and the row URLs of
row_urls.py, the page went from 34 to 25 ms (fastest of 80 requests, bench/pages.py's database).
The row partials still say which items a row has; only the markup is here.

Used in templates as `{% call row_menu(label) %}…{% endcall %}` (Jinja passes the block as
`caller`), with `menu_item(...)` and `sync_items(...)` inside.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from markupsafe import Markup, escape

from .i18n import template_gettext as _
from .quickbooks.preflight import sync_blocker, unsync_blocker


def row_menu(label_suffix: str | None = None, *, caller: Callable[[], str]) -> Markup:
    """The menu button and its list; `caller()` renders the items (menu_item() each)."""
    label = _("More actions")
    title = _("More actions for %(what)s", what=label_suffix) if label_suffix else label
    return Markup(
        '<div class="row-menu" data-menu><button type="button" class="menu-button"'
        f' aria-haspopup="menu" aria-expanded="false" aria-label="{escape(label)}"'
        f' title="{escape(title)}">⋯</button><ul role="menu" hidden>{caller()}</ul></div>'
    )


def menu_item(
    label: str,
    url: str | None = None,
    method: str = "post",
    disabled_hint: str | None = None,
    confirm: str | None = None,
    get_target: str | None = None,
) -> Markup:
    """One item: greyed out with its reason, a GET that fills a dialog, or a POST (confirmed)."""
    label = escape(label)
    if disabled_hint:
        # aria-disabled without `disabled`: the item stays in the arrow-key order, its hint read.
        hint = escape(disabled_hint)
        button = (
            f'<button type="button" role="menuitem" aria-disabled="true" title="{hint}"'
            f' data-hint="{hint}">{label}<small class="menu-hint">{hint}</small></button>'
        )
    elif method == "get":
        target = escape(get_target or "#dialog")
        button = (
            f'<button type="button" role="menuitem" hx-get="{escape(url)}" hx-target="{target}"'
            f' hx-swap="innerHTML">{label}</button>'
        )
    elif confirm:
        button = (
            f'<button type="button" role="menuitem" hx-post="{escape(url)}"'
            f' hx-confirm="{escape(confirm)}">{label}</button>'
        )
    else:
        button = f'<button type="button" role="menuitem" hx-post="{escape(url)}">{label}</button>'
    return Markup(f'<li role="none">{button}</li>')


def sync_items(
    kit, record, sync_label: str, unsync_label: str | None = None, unsync_confirm: str | None = None
) -> Markup:
    """The row's Sync item, or its Unsync item, as its status allows; greyed out with the
    reason when it cannot work now (quickbooks/preflight.py)."""
    status = record.qbo_status
    if status.can_sync:
        return menu_item(sync_label, kit.url("sync", record), disabled_hint=sync_blocker(record))
    if status.can_unsync and unsync_label:
        return menu_item(
            unsync_label,
            kit.url("unsync", record),
            disabled_hint=unsync_blocker(record),
            confirm=unsync_confirm,
        )
    return Markup()


def init_row_menus(app: Flask) -> None:
    app.jinja_env.globals.update(row_menu=row_menu, menu_item=menu_item, sync_items=sync_items)
