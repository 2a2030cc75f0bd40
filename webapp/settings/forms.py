"""Forms of the QuickBooks settings page."""

from flask_babel import gettext as _
from wtforms import BooleanField, SelectField

from ..forms import TextForm
from ..i18n import lazy_gettext as _l


class PaymentsForm(TextForm):
    sync_manual_payments = BooleanField(_l("Sync manually created payments with QuickBooks"))


UNDEPOSITED = ""


class DepositForm(TextForm):
    deposit_account_enabled = BooleanField(_l("Define 'Deposit to' account for payments"))
    # Choices are the cached accounts of the connected company, set by the view.
    deposit_account = SelectField(_l("Account for payments"), validate_choice=False)

    def set_choices(self, accounts) -> None:
        self.deposit_account.choices = [(UNDEPOSITED, "Undeposited Funds")] + [
            (a.qbo_id, f"{a.name} ({a.account_type})")
            for a in accounts
            if a.account_sub_type != "UndepositedFunds"
        ]

    def validate_deposit_account(self, field) -> None:
        from wtforms.validators import ValidationError

        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_("Pick one of the accounts in the list."))


class TimeZoneForm(TextForm):
    # Choices: the IANA zones, set by the view.
    time_zone = SelectField(_l("Time zone for times shown"), validate_choice=False)

    def validate_time_zone(self, field) -> None:
        from wtforms.validators import ValidationError

        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_("Pick one of the time zones in the list."))


BROWSER_LANGUAGE = ""


class LanguageForm(TextForm):
    locale = SelectField(_l("Language"), validate_choice=False)

    def validate_locale(self, field) -> None:
        from wtforms.validators import ValidationError

        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_("Pick one of the languages in the list."))
