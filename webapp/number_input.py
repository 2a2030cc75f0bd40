"""Numbers typed into forms (amounts, quantities, prices) in the user's locale, both ways.

A Dutch bookkeeper types "10,50" and reads "400,00" in every list; an English one types "10.50".
`DecimalInput` reads what was typed into the canonical "1234.56" (so views keep converting
`field.data` with Decimal, never float) and shows its value back in the locale's notation.
"""

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from wtforms import StringField

from .i18n import DEFAULT_LOCALE

# Spaces people type or paste between digit groups, and that mean nothing in a number.
_SPACES = re.compile("[ \u00a0\u2007\u202f\u2009]")
# Plain notation, as stored in `.data` and read by Decimal. ASCII digits only: "١٢" is no amount.
_CANONICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _locale(locale: Locale | str | None) -> Locale | str:
    return locale or get_locale() or DEFAULT_LOCALE


def normalize_number(text: str, locale: Locale | str | None = None) -> str | None:
    """What a person typed, as a plain number ("1234.56"), or None when it is not clearly one.

    The rule (en: decimal ".", group ","; nl: decimal ",", group "."):

    - Spaces, non-breaking ones too, are ignored: "1 234,56".
    - The locale's decimal symbol is the decimal separator: "10,50" in nl, "10.50" in en.
    - The locale's group symbol may group thousands in threes before it: "1.234,56" in nl,
      "1,234.56" in en; "1.234" in nl and "1,234" in en are 1234.
    - A single separator of the other kind, followed by one or two digits at the end, is the
      decimal separator too: "10.00" in nl (the number pad's key), "10,5" in en; nothing else
      may then be in the number.
    - A leading + or - is kept (the validators say a negative amount is not allowed); anything
      else ("1e2", "NaN", "1.2.3", letters, other scripts' digits) is not a number.

    Decimals are kept as typed: "33,333" is 33.333, which the validators then refuse by name.
    """
    if not isinstance(text, str):
        return None
    text = _SPACES.sub("", text)
    locale = _locale(locale)
    decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
    sign, text = (text[0], text[1:]) if text[:1] in ("+", "-") else ("", text)
    other = "," if decimal == "." else "."
    if decimal not in text and re.fullmatch(rf"[0-9]*{re.escape(other)}[0-9]{{1,2}}", text):
        text = text.replace(other, decimal)
    whole, found, fraction = text.partition(decimal)
    if re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(group)}[0-9]{{3}})+", whole):
        whole = whole.replace(group, "")
    if not (re.fullmatch("[0-9]*", whole) and re.fullmatch("[0-9]*", fraction)):
        return None
    canonical = sign + whole + ("." + fraction if found else "")
    return canonical if _CANONICAL.fullmatch(canonical) else None


def parse_number(text: str, locale: Locale | str | None = None) -> Decimal | None:
    """`normalize_number` as a Decimal."""
    canonical = normalize_number(text, locale)
    return Decimal(canonical) if canonical is not None else None


def format_number_input(value, locale: Locale | str | None = None) -> str:
    """A plain number (str or Decimal) as a person of the locale types it: "400,00" in nl.

    No thousands grouping: the value goes back into an input, where "1.234,56" would only be
    one more thing to read past. Text that is not a plain number is shown as it is.
    """
    if value is None:
        return ""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if not _CANONICAL.fullmatch(text):
        return text
    return text.replace(".", get_decimal_symbol(_locale(locale)))


class DecimalInput(StringField):
    """A text input for an amount, quantity or price, in the user's locale.

    `.data` is the canonical plain number ("1234.56", see `normalize_number`), or None when
    what was typed is not clearly a number, which the field's DecimalText validator then names.
    The input shows `.data` in the locale's notation ("400,00" in Dutch), except after a post,
    when it shows what was typed, as it was typed, so a correction starts from the person's text.
    """

    typed: str | None = None

    def process_formdata(self, valuelist):
        if valuelist:
            self.typed = valuelist[0] if isinstance(valuelist[0], str) else ""
            self.data = normalize_number(self.typed.strip())

    def _value(self) -> str:
        if self.typed is not None and normalize_number(self.typed.strip()) == self.data:
            return self.typed  # a view that sets another value shows that one instead
        return format_number_input(self.data)
