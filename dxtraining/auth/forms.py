"""Forms of signing in, signing up and setting a password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, ValidationError

from ..forms import STRIP, Length, NoControlCharacters, optional_int, required
from .passwords import MIN_LENGTH

_email = [required, Length(max=254), Email(message=_l("メールアドレスの形式が正しくありません。"))]


class SignInForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), filters=STRIP, validators=_email)
    password = PasswordField(_l("パスワード"), validators=[required, Length(max=200)])
    remember = BooleanField(_l("ログイン状態を保持する"))


def password_field() -> PasswordField:
    """A new password (made per form, so that it takes its place after the form's earlier fields)."""
    return PasswordField(
        _l("パスワード"),
        validators=[
            required,
            Length(min=MIN_LENGTH, max=200, message=_l("%(min)d文字以上で入力してください。", min=MIN_LENGTH)),
        ],
        description=_l("%(min)d文字以上。", min=MIN_LENGTH),
    )


def password_confirm_field() -> PasswordField:
    return PasswordField(
        _l("パスワード（確認）"),
        validators=[required, EqualTo("password", message=_l("パスワードが一致しません。"))],
    )


class SetPasswordForm(FlaskForm):
    password = password_field()
    password_confirm = password_confirm_field()


FOREIGN_DOMAIN = _l(
    "このメールアドレスのドメインは、参加している市町のものではありません。職場のアドレスを入力してください。"
)


class SignUpForm(FlaskForm):
    email = EmailField(
        _l("職場のメールアドレス"),
        filters=STRIP,
        validators=_email,
        description=_l("所属する市町のドメインのアドレスのみ登録できます。"),
    )

    def validate_email(self, field) -> None:
        """Said together with every other problem of the form, not after they are fixed."""
        from .services import municipality_for_email

        if not field.errors and municipality_for_email(field.data) is None:
            raise ValidationError(FOREIGN_DOMAIN)

    name = StringField(_l("氏名"), filters=STRIP, validators=[required, Length(max=80), NoControlCharacters()])
    name_kana = StringField(
        _l("ふりがな"), filters=STRIP, validators=[required, Length(max=120), NoControlCharacters()]
    )
    department = StringField(
        _l("所属"),
        filters=STRIP,
        validators=[required, Length(max=120), NoControlCharacters()],
        description=_l("例：総合政策部 政策課"),
    )
    rank_id = SelectField(_l("職層"), coerce=optional_int, validators=[required])
    password = password_field()
    password_confirm = password_confirm_field()


class EmailForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), filters=STRIP, validators=_email)
