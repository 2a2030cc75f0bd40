"""The base of every form: fields receive typed text, never an uploaded file or a JSON value."""

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField

from .i18n import N_

FILE_PART_MESSAGE = N_("Type this in; a file cannot be sent here.")


class TextForm(FlaskForm):
    """A FlaskForm whose fields read the posted text parts only.

    Flask-WTF hands a field whatever the request carries under its name: a multipart file part
    arrives as a FileStorage, a JSON body as numbers, lists or objects. No field here takes those,
    and validators written for text fail on them with a 500. So the fields read `request.form`
    alone, and a field that was sent as a file gets a message of its own after validation.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            wrapped = super().wrap_formdata(form, formdata)
            # Flask-WTF returned request.files + request.form, or the JSON body: keep the text.
            if wrapped is not None and wrapped is not formdata:
                return request.form
            return wrapped

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        sent_as_files = set(request.files) if has_request_context() else set()
        for field in _leaf_fields(self):
            if field.name in sent_as_files:
                field.errors = [_(FILE_PART_MESSAGE)]
                valid = False
        return valid


def _leaf_fields(fields):
    """Every input of a form, including those of invoice lines (FieldList of FormField)."""
    for field in fields:
        if isinstance(field, FieldList | FormField):
            yield from _leaf_fields(field)
        elif isinstance(field, Field):
            yield field
