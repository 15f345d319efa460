"""Forms of applying and of managing a municipality's seats."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, Optional

from ..forms import STRIP, IntegerField, Length, NoControlCharacters, NumberRange, optional_int, required


class ApplyForm(FlaskForm):
    note = TextAreaField(
        _l("連絡事項（任意）"),
        filters=STRIP,
        validators=[
            Optional(),
            Length(max=500, message=_l("%(max)d文字以内で入力してください。")),
            NoControlCharacters(multiline=True),
        ],
        description=_l("申込の理由や、配慮が必要なことなど。所属の研修担当者と事務局に伝わります。"),
    )


class CancelForm(FlaskForm):
    reason = StringField(
        _l("理由（任意）"), filters=STRIP, validators=[Optional(), Length(max=300), NoControlCharacters()]
    )


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf(["approve", "decline"])])
    comment = StringField(
        _l("コメント（任意）"), filters=STRIP, validators=[Optional(), Length(max=300), NoControlCharacters()]
    )


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])
    reason = StringField(
        _l("並べ替えの理由"), filters=STRIP, validators=[required, Length(max=300), NoControlCharacters()]
    )


class NominateForm(FlaskForm):
    # the first choice is "選んでください" (no one), so that nobody is nominated by a careless click
    person_id = SelectField(_l("推薦する職員"), coerce=optional_int, validators=[required])
    note = StringField(
        _l("連絡事項（任意）"), filters=STRIP, validators=[Optional(), Length(max=500), NoControlCharacters()]
    )


class GiveSeatsForm(FlaskForm):
    seats = IntegerField(_l("譲る席数"), validators=[required, NumberRange(min=1, max=1000)])
    to = SelectField(_l("譲り先"), validators=[required])
    reason = StringField(
        _l("理由（任意）"), filters=STRIP, validators=[Optional(), Length(max=300), NoControlCharacters()]
    )


class AttendanceForm(FlaskForm):
    pass
