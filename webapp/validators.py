"""Form validators and filters shared by the blueprints."""

import re
import unicodedata
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from wtforms.validators import ValidationError

from .i18n import N_
from .number_input import format_number_input


def strip(value):
    """Filter: surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


class PlainText:
    """Text a person typed: no NUL or other control characters except tabs and line breaks.

    Browsers never send them from a keyboard, QuickBooks refuses them, and PostgreSQL cannot
    store NUL in a text column, so a crafted request gets a message here instead of a 500.
    """

    message = N_("Remove the control characters from this text.")

    def __call__(self, form, field):
        if field.data and any(
            unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in field.data
        ):
            raise ValidationError(_(self.message))


class EmailAddress:
    """Syntax check only; `.test` addresses (used by the demo firm) are accepted."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            validate_email(field.data, check_deliverability=False, test_environment=True)
        except EmailNotValidError as error:
            raise ValidationError(self.message or str(error)) from error


# Plain notation only: Decimal() also takes "1e2", "1_000", "NaN" and non-ASCII digits ("١٢"),
# none of which a bookkeeper means as an amount.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
TOO_LARGE = Decimal("10000000000")
# Per noun: not a number, not above 0, below 0 (when 0 is allowed), too large.
_NUMBER_MESSAGES = {
    "amount": (
        N_("Enter an amount, like %(example)s."),
        N_("The amount must be more than 0."),
        N_("The amount must be 0 or more."),
        N_("That amount is too large."),
    ),
    "quantity": (
        N_("Enter a quantity, like %(example)s."),
        N_("The quantity must be more than 0."),
        N_("The quantity must be 0 or more."),
        N_("That quantity is too large."),
    ),
    "price": (
        N_("Enter a price, like %(example)s."),
        N_("The price must be more than 0."),
        N_("The price must be 0 or more."),
        N_("That price is too large."),
    ),
}


class DecimalText:
    """A number typed as text: more than 0 (or at least 0), at most two decimals, under ten
    billion. The field keeps the text (a DecimalInput keeps it in plain notation, whatever the
    locale); views convert it with Decimal, never float. The example in the message is shown
    in the user's locale ("125,00" in Dutch)."""

    def __init__(self, noun: str, example: str, allow_zero: bool = False):
        self.noun, self.example, self.allow_zero = noun, example, allow_zero

    def __call__(self, form, field):
        not_a_number, not_above_zero, below_zero, too_large = _NUMBER_MESSAGES[self.noun]
        text = field.data.strip() if isinstance(field.data, str) else ""
        if not _PLAIN_NUMBER.fullmatch(text):
            raise ValidationError(_(not_a_number, example=format_number_input(self.example)))
        value = Decimal(text)
        if value < 0 or (value == 0 and not self.allow_zero):
            raise ValidationError(_(below_zero if self.allow_zero else not_above_zero))
        if value.as_tuple().exponent < -2:
            raise ValidationError(_("Use at most two decimals."))
        if value >= TOO_LARGE:
            raise ValidationError(_(too_large))


class MoneyAmount(DecimalText):
    """A payment or refund amount: more than 0, at most two decimals."""

    def __init__(self):
        super().__init__("amount", "125.00")
