from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import TextForm
from ..i18n import lazy_gettext as _l
from ..validators import PlainText


class LoginForm(TextForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), PlainText()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))


MIN_PASSWORD_LENGTH = 8


class PasswordForm(TextForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=200)],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Use {MIN_PASSWORD_LENGTH} to 200 characters.",
            ),
        ],
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[EqualTo("new_password", _l("The two new passwords are not the same."))],
    )
