"""Language and formats: English and Dutch through Flask-Babel.

The language is the user's choice in their profile, else the best match of the browser's
Accept-Language, else English. Dates, times, numbers and money are formatted for that language
by Babel, and times are shown in the firm's time zone (Settings). Templates format through the
filters registered here (`day`, `moment`, `clock`, `amount`), so every list, picker and dialog
shows one format. Numbers typed into forms are read and shown back in that format too
(webapp/number_input.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import parse_pattern as parse_date_pattern
from flask import Flask, g, has_request_context, request
from flask_babel import (
    Babel,
    LazyString,
    format_date,
    format_number,
    format_time,
    get_locale,
    get_translations,
    gettext,
    ngettext,
    refresh,
)
from flask_login import current_user
from markupsafe import Markup, escape

LANGUAGES = {"en": "English", "nl": "Nederlands"}
DEFAULT_LOCALE = "en"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


class _EscapedLazyString(LazyString):
    """Flask-Babel's lazy string marks itself safe HTML; ours is escaped like any other text."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> LazyString:
    """A message translated each time it is shown (form labels, list headings, enum labels)."""
    return _EscapedLazyString(template_gettext, string, **variables)


def template_gettext(string: str, **variables) -> str:
    # A list page translates some 700 messages; Flask-Babel's gettext() looks the locale and
    # the catalog up through Flask's context each time (a third of the page's time at 50 rows),
    # so a request keeps its catalog on `g` once found.
    if not has_request_context():
        return gettext(string, **variables)
    translations = g.get(_TRANSLATIONS_KEY)
    if translations is None:
        translations = get_translations()
        setattr(g, _TRANSLATIONS_KEY, translations)
    text = translations.ugettext(string)
    return text % variables if variables else text


_TRANSLATIONS_KEY = "_ledgerbridge_translations"


def _choose_language_again() -> None:
    """Babel keeps its choice (and we keep its catalog) on `g`, which outlives a request when
    an app context was already pushed (the CLI, the tests): choose again for every request."""
    refresh()
    g.pop(_TRANSLATIONS_KEY, None)
    g.pop(_FORMATS_KEY, None)


def template_ngettext(singular: str, plural: str, num: int, **variables) -> str:
    return ngettext(singular, plural, num, **variables)


def N_(text: str) -> str:
    """Mark a fixed message for translation where it is defined; it is translated where shown.

    Such messages are stored on rows in English (a job has no user), and templates show them
    through the `translated` filter; QuickBooks' own words are not in the catalog and stay as
    QuickBooks wrote them.
    """
    return text


def translated(text: str | None) -> str:
    """A stored message in the user's language when it is one of ours, else as it was.

    A message stored with values in it (`N_("Unsync failed: %(reason)s") % {...}`) is found by
    its pattern: the values are kept as they were written (a name, QuickBooks' own words), except
    a `%(reason)s`, which is itself one of our messages or QuickBooks' text and is looked up the
    same way.
    """
    if not text:
        return ""
    catalog = _catalog()
    if text in catalog:
        return gettext(text)
    for pattern, msgid in _patterns(id(catalog)):
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            if "reason" in values:
                values["reason"] = translated(values["reason"])
            return gettext(msgid, **values)
    return text


def _catalog() -> dict:
    """The message ids of the current language (empty for English, which needs none)."""
    return getattr(get_translations(), "_catalog", {})


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@lru_cache(maxsize=8)
def _patterns(catalog_id: int) -> list[tuple[re.Pattern, str]]:
    """The catalog's messages with named values, as patterns; longest fixed text first."""
    found = []
    for msgid in _catalog():
        if not isinstance(msgid, str) or not _PLACEHOLDER.search(msgid):
            continue
        fixed = _PLACEHOLDER.split(msgid)[::2]
        if sum(len(part.strip()) for part in fixed) < 4:
            continue  # "%(a)s: %(b)s" would match anything
        regex, seen = "", set()
        for index, part in enumerate(_PLACEHOLDER.split(msgid)):
            if index % 2 == 0:
                regex += re.escape(part.replace("%%", "%"))
            elif part in seen:
                regex += f"(?P={part})"
            else:
                seen.add(part)
                regex += f"(?P<{part}>.+?)"
        found.append((len("".join(fixed)), re.compile(regex + r"\Z", re.S), msgid))
    found.sort(key=lambda item: -item[0])
    return [(pattern, msgid) for _, pattern, msgid in found]


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LOCALE


def select_timezone() -> str | None:
    if has_request_context() and current_user.is_authenticated:
        return valid_time_zone(current_user.firm.time_zone)
    return None  # Babel's default: UTC


def valid_time_zone(name: str | None) -> str | None:
    return name if name in time_zones() else None


def time_zones() -> set[str]:
    return available_timezones() | {"UTC"}


def day(value: date | datetime | None) -> str:
    """A date in the locale's medium form: "Nov 27, 2026" / "27 nov 2026"."""
    if not value:
        return ""
    if isinstance(value, datetime):  # shown as the day it is in the firm's time zone
        return format_date(value, "medium")
    return _request_formats().day(value)


def day_element(value: date | datetime | None) -> Markup:
    """`day` in a <time> element that carries the ISO date for machines (and tests)."""
    if not value:
        return Markup("")
    iso = value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return Markup(f'<time datetime="{iso}">{escape(day(value))}</time>')


def clock(value: datetime | None) -> str:
    """A time of day in the firm's time zone: "10:42 AM" / "10:42"."""
    return format_time(value, "short") if value else ""


def moment(value: datetime | None) -> str:
    """A date and time in the firm's time zone: "Nov 27, 2026 10:42 AM"."""
    return f"{day(value)} {clock(value)}" if value else ""


def money_element(value: Decimal | int | None) -> Markup:
    """`amount` in the <span class="money"> every table and dialog shows money in."""
    return Markup(f'<span class="money">{escape(amount(value))}</span>')


def amount(value: Decimal | int | None) -> str:
    """Money with two decimals and the locale's separators: "1,234.56" / "1.234,56"."""
    return _request_formats().amount(value or 0)


class _Formats:
    """A request's locale and the formats a list row uses many times, computed once.

    Flask-Babel's format_date and format_decimal look the locale up through Flask's context and
    parse their pattern on every call, and Babel's number pattern then rounds and groups in
    Python: about 50 µs a date and 60 µs an amount, 5 ms of a list page of 50 rows. Here a date
    is formatted once per request by Babel's own pattern, and an amount by Python's decimal
    formatting with the locale's symbols put in (tests/test_i18n.py checks it against Babel).
    """

    def __init__(self):
        self.locale = get_locale()
        self._medium_date = parse_date_pattern(self.locale.date_formats["medium"].pattern)
        self._days: dict[date, str] = {}
        symbols = self.locale.number_symbols["latn"]
        self._symbols = str.maketrans(
            {",": symbols["group"], ".": symbols["decimal"], "-": symbols["minusSign"]}
        )

    def day(self, value: date) -> str:
        text = self._days.get(value)
        if text is None:
            text = self._days[value] = self._medium_date.apply(value, self.locale)
        return text

    def amount(self, value: Decimal | int | float) -> str:
        # "#,##0.00": groups of three, two decimals rounded half to even, as Babel does.
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return f"{number:,.2f}".translate(self._symbols)


def _request_formats() -> _Formats:
    if not has_request_context():
        return _Formats()
    formats = g.get(_FORMATS_KEY)
    if formats is None:
        formats = _Formats()
        setattr(g, _FORMATS_KEY, formats)
    return formats


_FORMATS_KEY = "_ledgerbridge_formats"


def time_zone_label() -> str:
    zone = select_timezone() or "UTC"
    return ZoneInfo(zone).key


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.before_request(_choose_language_again)
    # Templates translate with _() and ngettext() returning plain text, which Jinja escapes like
    # any other: no message is trusted as HTML (Jinja's own "newstyle" marks them safe).
    app.jinja_env.install_gettext_callables(template_gettext, template_ngettext, newstyle=False)
    app.jinja_env.filters.update(
        translated=translated,
        day=day_element,
        date_text=day,
        clock=clock,
        moment=moment,
        amount=amount,
        money=money_element,
        number=format_number,
    )
    app.jinja_env.globals.update(get_locale=get_locale, time_zone_label=time_zone_label)
