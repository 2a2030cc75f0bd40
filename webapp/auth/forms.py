from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..forms import TextForm
from ..validators import PlainText


class LoginForm(TextForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), PlainText()])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")
