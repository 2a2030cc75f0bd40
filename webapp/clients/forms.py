"""The "New client" form."""

from flask_babel import gettext as _
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import TextForm
from ..i18n import lazy_gettext as _l
from ..validators import EmailAddress, PlainText, strip


class ClientForm(TextForm):
    display_name = StringField(
        _l("Display name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the client's name.")), Length(max=100)],
    )
    email = EmailField(
        _l("Email"), filters=[strip], validators=[Optional(), Length(max=254), EmailAddress()]
    )
    phone = StringField(
        _l("Phone"), filters=[strip], validators=[Optional(), Length(max=30), PlainText()]
    )
    address = TextAreaField(
        _l("Address"), filters=[strip], validators=[Optional(), Length(max=500), PlainText()]
    )

    def validate_display_name(self, field):
        # QBO rejects a DisplayName with a colon, a tab or a newline, so the sync would fail later.
        if ":" in field.data:
            raise ValidationError(_("QuickBooks does not allow ':' in a name."))
        if not field.data.isprintable():
            raise ValidationError(_("Use a name without tabs or line breaks."))
