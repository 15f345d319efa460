"""Forms about people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from ..forms import STRIP, Length, NoControlCharacters, optional_int, required


class ProfileForm(FlaskForm):
    name = StringField(_l("氏名"), filters=STRIP, validators=[required, Length(max=80), NoControlCharacters()])
    name_kana = StringField(
        _l("ふりがな"), filters=STRIP, validators=[required, Length(max=120), NoControlCharacters()]
    )
    department = StringField(_l("所属"), filters=STRIP, validators=[required, Length(max=120), NoControlCharacters()])
    rank_id = SelectField(_l("職層"), coerce=optional_int, validators=[required])
    job_title = StringField(
        _l("職名"),
        filters=STRIP,
        validators=[Optional(), Length(max=40), NoControlCharacters()],
        description=_l("例：副課長、主査（任意）"),
    )
    locale = SelectField(
        _l("表示言語"), choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")], validators=[required]
    )
    wants_session_reminders = BooleanField(_l("研修の前日にリマインダーを受け取る"))
    wants_survey_reminders = BooleanField(_l("アンケートの回答期限前にリマインダーを受け取る"))


class StaffImportForm(FlaskForm):
    file = FileField(
        _l("CSVファイル"),
        validators=[
            FileRequired(message=_l("ファイルを選択してください。")),
            FileAllowed(["csv", "txt"], message=_l("CSVファイル（.csv）を選択してください。")),
        ],
        description=_l("列：メールアドレス, 氏名, ふりがな, 所属, 職位（UTF-8またはShift_JIS）"),
    )
