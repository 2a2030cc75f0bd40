"""The "New client" form."""

from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import TextForm
from ..validators import EmailAddress, PlainText, strip


class ClientForm(TextForm):
    display_name = StringField(
        "Display name",
        filters=[strip],
        validators=[DataRequired("Enter the client's name."), Length(max=100)],
    )
    email = EmailField(
        "Email", filters=[strip], validators=[Optional(), Length(max=254), EmailAddress()]
    )
    phone = StringField(
        "Phone", filters=[strip], validators=[Optional(), Length(max=30), PlainText()]
    )
    address = TextAreaField(
        "Address", filters=[strip], validators=[Optional(), Length(max=500), PlainText()]
    )

    def validate_display_name(self, field):
        # QBO rejects a DisplayName with a colon, a tab or a newline, so the sync would fail later.
        if ":" in field.data:
            raise ValidationError("QuickBooks does not allow ':' in a name.")
        if not field.data.isprintable():
            raise ValidationError("Use a name without tabs or line breaks.")
