"""Forms of the billing pages. Amounts are strings checked as Decimal, never floats, typed and
shown in the user's locale (DecimalInput)."""

import re
from datetime import date, timedelta

from flask_babel import LazyString
from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from ..forms import TextForm
from ..i18n import lazy_gettext as _l
from ..models import PaymentMethod
from ..number_input import DecimalInput
from ..scoping import parse_id
from ..validators import DecimalText, MoneyAmount, PlainText, strip

MAX_LINES = 100
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)


def optional_id(value):
    """Coerce a select's value to a row id; the placeholder ("") and junk are None, which the
    form's validate_* method answers with "Choose a …"."""
    return value if isinstance(value, int) else parse_id(value)


class DayField(DateField):
    """An <input type=date> whose parse error says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a date like 2026-11-27.")) from error

    def pre_validate(self, form):
        if self.data is not None and not (EARLIEST <= self.data <= LATEST):
            raise ValidationError(_("Enter a date between 1990 and 2099."))


# Line fields are named lines-<index>-<field>. Indices only grow as lines are added and
# removed, but never past six ASCII digits, so a hostile key is neither huge nor "²".
LINE_INDEX = r"[0-9]{1,6}"
LINE_KEY = re.compile(rf"^lines-({LINE_INDEX})-")


class LineList(FieldList):
    """FieldList that ignores malformed indices: WTForms int()s whatever str.isdigit() accepts,
    and int() fails on "²" or on 5,000 digits."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if re.fullmatch(LINE_INDEX, index):
                    yield int(index)


class LineForm(Form):
    """One invoice line; a sub-form of InvoiceForm, so it has no CSRF token of its own."""

    description = StringField(
        _l("Description"),
        filters=[strip],
        validators=[DataRequired(_l("Describe the work.")), Length(max=4000), PlainText()],
    )
    quantity = DecimalInput(_l("Quantity"), default="1", validators=[DecimalText("quantity", "1")])
    unit_price = DecimalInput(
        _l("Unit price"), validators=[DecimalText("price", "150.00", allow_zero=True)]
    )


class InvoiceForm(TextForm):
    client_id = SelectField(_l("Client"), coerce=optional_id, validate_choice=False)
    number = StringField(
        _l("Number"),
        filters=[strip],
        validators=[DataRequired(_l("Give the invoice a number.")), Length(max=21)],
    )
    issue_date = DayField(_l("Invoice date"), default=date.today)
    due_date = DayField(_l("Due date"), default=lambda: date.today() + timedelta(days=30))
    lines = LineList(FormField(LineForm), min_entries=1, max_entries=MAX_LINES)

    def validate_client_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose a client."))

    def validate_number(self, field):
        if any(ch in field.data for ch in "\t\r\n") or not field.data.isprintable():
            raise ValidationError(_("Use letters, digits and punctuation only."))

    def validate_due_date(self, field):
        if field.data and self.issue_date.data and field.data < self.issue_date.data:
            raise ValidationError(_("The due date cannot be before the invoice date."))


METHOD_CHOICES = [SelectChoice(m.value, LazyString(lambda m=m: m.label)) for m in PaymentMethod]


class PaymentForm(TextForm):
    client_id = SelectField(_l("Client"), coerce=optional_id, validate_choice=False)
    invoice_id = SelectField(_l("Invoice"), coerce=optional_id, validate_choice=False)
    amount = DecimalInput(_l("Amount"), validators=[MoneyAmount()])
    received_on = DayField(_l("Date"), default=date.today)
    method = SelectField(_l("Method"), choices=METHOD_CHOICES, default=PaymentMethod.CHECK.value)
    reference = StringField(
        _l("Reference"), filters=[strip], validators=[Optional(), Length(max=100), PlainText()]
    )
    description = TextAreaField(
        _l("Description"), filters=[strip], validators=[Optional(), Length(max=1000), PlainText()]
    )
    sync_to_qbo = BooleanField(_l("Sync this payment with QuickBooks"))
    # Which page opened the form: the answer updates that page's table.
    origin = HiddenField(default="payments")
    # The answer to "QuickBooks already shows a payment…": link, unsynced or anyway.
    qbo_choice = HiddenField(validators=[Optional(), AnyOf(("link", "unsynced", "anyway"))])
    # Set by the views, shown by the template (never posted).
    amount_hint: str | None = None
    qbo_warning = None
    # What the selects offer (payment_choices.py): the invoices listed, and whether a search
    # field narrows each select because there are more than it shows.
    open_invoices: list = []
    client_search = invoice_search = False
    client_query = invoice_query = ""
    choices_shown = 0

    def validate_client_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose a client."))

    def validate_invoice_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose an invoice."))


class RefundForm(TextForm):
    amount = DecimalInput(_l("Amount"), validators=[MoneyAmount()])
    refunded_on = DayField(_l("Date"), default=date.today)
    reason = TextAreaField(
        _l("Reason"), filters=[strip], validators=[Optional(), Length(max=500), PlainText()]
    )
