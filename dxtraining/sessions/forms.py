"""The secretariat's forms for sessions, agenda blocks and instructors."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    URLField,
)
from wtforms.validators import Optional

from ..forms import (
    STRIP,
    DateField,
    DateTimeLocalField,
    IntegerField,
    Length,
    NoControlCharacters,
    NumberRange,
    SelectMultipleField,
    TimeField,
    required,
    text_field,
)


class DayForm(Form):
    date = DateField(_l("日付"), validators=[Optional()])
    start = TimeField(_l("開始"), validators=[Optional()])
    end = TimeField(_l("終了"), validators=[Optional()])


class SessionForm(FlaskForm):
    title = text_field(_l("開催回の名前"), 120, required_field=True, description=_l("例：令和8年度 第1回"))
    format = SelectField(_l("形式"), validators=[required])
    days = FieldList(FormField(DayForm), min_entries=3, max_entries=3)
    enrollment_mode = SelectField(_l("申込の方式"), validators=[required])
    applications_open_at = DateTimeLocalField(_l("申込開始"), validators=[required])
    applications_close_at = DateTimeLocalField(_l("申込締切"), validators=[required])
    cancellation_deadline = DateTimeLocalField(_l("キャンセル期限"), validators=[required])
    release_at = DateTimeLocalField(
        _l("枠の開放日時"),
        validators=[required],
        description=_l("この日時を過ぎると、使われていない各市町の枠をどの市町のキャンセル待ちにも回します。"),
    )
    venue_name = text_field(_l("会場名"), 200)
    venue_room = text_field(_l("部屋"), 120)
    venue_address = text_field(_l("住所"), 300)
    access_notes = text_field(_l("アクセス・配慮事項"), 2000, multiline=True)
    online_platform = text_field(_l("オンライン会議の種類"), 80)
    online_url = URLField(
        _l("オンライン会議のURL"),
        filters=STRIP,
        validators=[Optional(), Length(max=500), NoControlCharacters()],
        description=_l("参加確定者にだけ表示されます。"),
    )
    capacity = IntegerField(_l("定員"), validators=[required, NumberRange(min=1, max=10000)])


class CancelSessionForm(FlaskForm):
    reason = text_field(_l("中止の理由"), 1000, required_field=True, multiline=True)


class BlockForm(FlaskForm):
    day_id = SelectField(_l("日"), coerce=int, validators=[required])
    start = TimeField(_l("開始"), validators=[required])
    end = TimeField(_l("終了"), validators=[required])
    title = text_field(_l("内容"), 200, required_field=True, description=_l("例：講義「DXの基礎知識」"))
    modules = SelectMultipleField(_l("扱うカリキュラム項目"), coerce=int, validators=[Optional()])
    instructor_id = SelectField(_l("講師"), coerce=int, validators=[Optional()])
    unqualified_reason = text_field(_l("選定基準を満たさない講師を割り当てる理由"), 1000, multiline=True)


class InstructorForm(FlaskForm):
    name = text_field(_l("氏名"), 80, required_field=True)
    name_kana = text_field(_l("ふりがな"), 120)
    affiliation = text_field(_l("所属・役職"), 200)
    profile = text_field(_l("プロフィール"), 4000, multiline=True)
    contact = text_field(_l("連絡先（事務局のみ閲覧）"), 1000, multiline=True)


class AssessmentForm(FlaskForm):
    criterion_id = SelectField(_l("選定基準"), coerce=int, validators=[required])
    met = BooleanField(_l("基準を満たす"))
    evidence = text_field(
        _l("根拠"),
        2000,
        required_field=True,
        multiline=True,
        description=_l("例：自治体DXに関する講演実績、行政での勤務経験"),
    )


class BroadcastForm(FlaskForm):
    audience = SelectField(_l("宛先"), validators=[required])
    subject = text_field(_l("件名"), 120, required_field=True)
    body = text_field(_l("本文"), 5000, required_field=True, multiline=True)
