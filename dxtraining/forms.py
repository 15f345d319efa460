"""Pieces shared by the forms of every area."""

from __future__ import annotations

import unicodedata

import wtforms
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError


def clean_text(value: str | None) -> str | None:
    """Strip surrounding spaces, normalise to NFC (keeps full-width Japanese as typed) and line breaks to one
    character: browsers send a textarea's breaks as CR LF but count them as one against its maxlength."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value.strip().replace("\r\n", "\n"))


class NoControlCharacters:
    """Refuse control characters (tabs and line breaks are allowed only where `multiline`)."""

    def __init__(self, multiline: bool = False) -> None:
        self.allowed = {"\n", "\r", "\t"} if multiline else set()

    def __call__(self, form, field) -> None:
        data = field.data if isinstance(field.data, str) else ""
        if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in self.allowed for ch in data):
            raise ValidationError(_l("使用できない制御文字が含まれています。"))


STRIP = [clean_text]


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField that refuses absurdly long numbers: NumberRange overflows on them (a 500)."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 12:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class Required(wtforms.validators.InputRequired):
    """The field must be filled in: spaces alone do not count (they are stripped to nothing)."""

    def __call__(self, form, field) -> None:
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise wtforms.validators.StopValidation(self.message)


required = Required(message=_l("入力してください。"))


def text_field(label, max_length: int, required_field: bool = False, multiline: bool = False, **kwargs):
    """A stripped text field with a length limit and no control characters (tabs and newlines if multiline)."""
    validators = [
        required if required_field else wtforms.validators.Optional(),
        wtforms.validators.Length(max=max_length),
        NoControlCharacters(multiline=multiline),
    ]
    field = wtforms.TextAreaField if multiline else wtforms.StringField
    return field(label, filters=STRIP, validators=validators, **kwargs)
