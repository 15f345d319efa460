"""The secretariat's forms for a course and its curriculum."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from ..forms import STRIP, IntegerField, NoControlCharacters

_required = InputRequired(message=_l("入力してください。"))


def _text(label, max_length, required=False, multiline=False, **kwargs):
    validators = [
        _required if required else Optional(),
        Length(max=max_length),
        NoControlCharacters(multiline=multiline),
    ]
    return (TextAreaField if multiline else StringField)(label, filters=STRIP, validators=validators, **kwargs)


class CourseForm(FlaskForm):
    title = _text(_l("研修名"), 120, required=True)
    title_en = _text(_l("研修名（英語）"), 160)
    theme = _text(_l("テーマ"), 2000, multiline=True)
    purpose = _text(_l("目的"), 4000, multiline=True)
    target_description = _text(_l("対象"), 2000, multiline=True)
    max_rank_id = SelectField(
        _l("対象とする職層の上限"),
        coerce=int,
        validators=[_required],
        description=_l("選んだ職層以下の職員が申し込めます（例：課長級以下）。"),
    )
    format_description = _text(_l("形式"), 2000, multiline=True)
    default_capacity = IntegerField(_l("定員（既定値）"), validators=[_required, NumberRange(min=1, max=10000)])
    default_quota = IntegerField(_l("各市町の枠（既定値）"), validators=[_required, NumberRange(min=0, max=10000)])
    criteria_text = _text(_l("講師選定基準"), 2000, multiline=True)


class ModuleForm(FlaskForm):
    title = _text(_l("項目名"), 200, required=True)
    description = _text(_l("説明"), 2000, multiline=True)
    planned_minutes = IntegerField(_l("予定時間（分）"), validators=[Optional(), NumberRange(min=1, max=1440)])


class NewModuleForm(ModuleForm):
    parent_id = SelectField(_l("位置"), coerce=int, validators=[Optional()])


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])
