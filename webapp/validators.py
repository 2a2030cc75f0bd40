"""Form validators shared by the blueprints."""

from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError


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


class MoneyAmount:
    """A positive amount with at most two decimals (and at most `maximum`, when given)."""

    def __init__(self, maximum_attr: str | None = None):
        self.maximum_attr = maximum_attr

    def __call__(self, form, field):
        value = field.data
        if value is None:
            raise ValidationError("Enter an amount, like 125.00.")
        try:
            value = Decimal(value)
        except (InvalidOperation, TypeError) as error:
            raise ValidationError("Enter an amount, like 125.00.") from error
        if not value.is_finite() or value <= 0:
            raise ValidationError("The amount must be more than 0.")
        if value.as_tuple().exponent < -2:
            raise ValidationError("Use at most two decimals.")
        if value >= Decimal("10000000000"):
            raise ValidationError("That amount is too large.")
