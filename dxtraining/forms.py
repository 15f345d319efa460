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


CONTROL_CHARACTERS = _l("使用できない制御文字が含まれています。")


def has_control_characters(text: str, multiline: bool = False) -> bool:
    """Does the text hold control characters (NUL, escapes...; tabs and line breaks count only if not
    `multiline`)? PostgreSQL refuses NUL, and Excel files cannot hold any of them."""
    allowed = {"\n", "\r", "\t"} if multiline else set()
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


class NoControlCharacters:
    """Refuse control characters (tabs and line breaks are allowed only where `multiline`)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data, self.multiline):
            raise ValidationError(CONTROL_CHARACTERS)


STRIP = [clean_text]


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField in the app's words, refusing absurdly long numbers too (NumberRange overflows on
    them: a 500)."""

    def process_formdata(self, valuelist):
        try:
            if valuelist and len(str(valuelist[0]).strip()) > 12:
                raise ValueError
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("整数で入力してください（例：30）。"))) from None


class SelectMultipleField(wtforms.SelectMultipleField):
    """WTForms' list of several choices, saying in Japanese when a value is not (or no longer) offered: a
    curriculum item deleted in another tab, say."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError(str(_l("選択肢の中から選んでください。"))) from None

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_l("選択肢の中から選んでください。")) from None


class Required(wtforms.validators.InputRequired):
    """The field must be filled in (or, for a list, chosen): spaces alone do not count."""

    def __call__(self, form, field) -> None:
        chosen = isinstance(field, (wtforms.SelectField, wtforms.RadioField, wtforms.SelectMultipleField))
        message = _l("選択してください。") if chosen else _l("入力してください。")
        empty = not field.raw_data or not field.raw_data[0]
        if empty or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise wtforms.validators.StopValidation(message)


required = Required()


def optional_int(value) -> int | None:
    """Coerce for a list that starts with 「選んでください」 (value ""): nothing chosen is None, not a 500."""
    return int(value) if value not in ("", None) else None


def max_length(field) -> int | None:
    """The field's Length limit, for the maxlength of inputs drawn by hand."""
    return next((v.max for v in field.validators if isinstance(v, wtforms.validators.Length) and v.max > 0), None)


# WTForms' own messages read mechanically in Japanese ("フィールドは 300 文字を超えることはできません"): the app's
# validators and date fields say it the way the rest of the app does.


class Length(wtforms.validators.Length):
    def __init__(self, min: int = -1, max: int = -1, message=None) -> None:
        if message is None:
            if min <= 0:
                message = _l("%(max)d文字以内で入力してください。")
            elif max == -1:
                message = _l("%(min)d文字以上で入力してください。")
            else:
                message = _l("%(min)d～%(max)d文字で入力してください。")
        super().__init__(min=min, max=max, message=message)


class NumberRange(wtforms.validators.NumberRange):
    def __init__(self, min=None, max=None, message=None) -> None:
        if message is None:
            if max is None:
                message = _l("%(min)s以上の数を入力してください。")
            elif min is None:
                message = _l("%(max)s以下の数を入力してください。")
            else:
                message = _l("%(min)s～%(max)sの数を入力してください。")
        super().__init__(min=min, max=max, message=message)


# The years a date may fall in: a typo such as 0002 for 2026 is refused here, not stored to break pages later.
YEARS = range(2000, 2101)


class _Parsed:
    """A date or time field that says in the user's language what it expected when it cannot read the value,
    and refuses dates outside YEARS."""

    expected = ""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(self.expected)) from None
        year = getattr(self.data, "year", None)
        if year is not None and year not in YEARS:
            self.data = None
            raise ValueError(
                str(_l("%(first)d年から%(last)d年までの日付を入力してください。", first=YEARS[0], last=YEARS[-1]))
            )


class DateField(_Parsed, wtforms.DateField):
    expected = _l("正しい日付を入力してください（例：2027-02-01）。")


class TimeField(_Parsed, wtforms.TimeField):
    expected = _l("正しい時刻を入力してください（例：13:30）。")


class DateTimeLocalField(_Parsed, wtforms.DateTimeLocalField):
    expected = _l("正しい日時を入力してください（例：2027-01-10 09:00）。")

    def __init__(self, *args, **kwargs) -> None:
        # shown to the minute (seconds would add stops to the browser's picker); seconds still read if sent
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)


def text_field(label, max_length: int, required_field: bool = False, multiline: bool = False, **kwargs):
    """A stripped text field with a length limit and no control characters (tabs and newlines if multiline)."""
    validators = [
        required if required_field else wtforms.validators.Optional(),
        Length(max=max_length),
        NoControlCharacters(multiline=multiline),
    ]
    field = wtforms.TextAreaField if multiline else wtforms.StringField
    return field(label, filters=STRIP, validators=validators, **kwargs)
