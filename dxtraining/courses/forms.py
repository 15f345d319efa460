"""The secretariat's forms for a course and its curriculum."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, Optional

from ..forms import IntegerField, NumberRange, SelectMultipleField, required, text_field


class CourseForm(FlaskForm):
    title = text_field(_l("研修名"), 120, required_field=True)
    title_en = text_field(_l("研修名（英語）"), 160)
    theme = text_field(_l("テーマ"), 2000, multiline=True)
    purpose = text_field(_l("目的"), 4000, multiline=True)
    target_description = text_field(_l("対象"), 2000, multiline=True)
    max_rank_id = SelectField(
        _l("対象とする職層の上限"),
        coerce=int,
        validators=[required],
        description=_l("選んだ職層以下の職員が申し込めます（例：課長級以下）。"),
    )
    format_description = text_field(_l("形式"), 2000, multiline=True)
    default_capacity = IntegerField(_l("定員（既定値）"), validators=[required, NumberRange(min=1, max=10000)])
    default_quota = IntegerField(_l("各市町の枠（既定値）"), validators=[required, NumberRange(min=0, max=10000)])
    criteria_text = text_field(_l("講師選定基準"), 2000, multiline=True)


class ModuleForm(FlaskForm):
    title = text_field(_l("項目名"), 200, required_field=True)
    description = text_field(_l("説明"), 2000, multiline=True)
    planned_minutes = IntegerField(_l("予定時間（分）"), validators=[Optional(), NumberRange(min=1, max=1440)])


class NewModuleForm(ModuleForm):
    parent_id = SelectField(_l("位置"), coerce=int, validators=[Optional()])


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class CriterionForm(FlaskForm):
    title = text_field(_l("基準"), 200, required_field=True)
    description = text_field(_l("満たすと判断する目安"), 2000, multiline=True)


class CaseStudyForm(FlaskForm):
    municipality_id = SelectField(_l("市町"), coerce=int, validators=[required])
    title = text_field(_l("取組"), 200, required_field=True)
    summary = text_field(_l("概要"), 2000, multiline=True)
    purpose = text_field(_l("目的"), 2000, multiline=True)
    period = text_field(_l("時期"), 500)
    target = text_field(_l("対象"), 500)
    cost = text_field(_l("費用"), 500)
    outcome = text_field(_l("効果"), 2000, multiline=True)
    modules = SelectMultipleField(_l("関連するカリキュラム項目"), coerce=int, validators=[Optional()])
