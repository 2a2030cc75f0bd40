from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import TextForm
from ..validators import PlainText


class LoginForm(TextForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), PlainText()])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


MIN_PASSWORD_LENGTH = 8


class PasswordForm(TextForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=200)],
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Use {MIN_PASSWORD_LENGTH} to 200 characters.",
            ),
        ],
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[EqualTo("new_password", "The two new passwords are not the same.")],
    )
